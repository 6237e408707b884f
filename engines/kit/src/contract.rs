//! Contract errors: bad input is a clear error, not a panic or a silent
//! acceptance.

use std::path::Path;

use super::{guarded, KitConfig, KitFailure, Report};
use engine_core::error::Error;
use engine_core::record::MAX_KEY_LEN;
use engine_core::vfs::SimFs;

/// Unknown option, oversized key, unwritable directory.
pub fn check_contract(cfg: &KitConfig) -> Result<Report, KitFailure> {
    guarded("contract", |report| {
        let sim = SimFs::new(51);
        let dir = Path::new("/db");
        match cfg.open_with(&sim.vfs(), dir, "kit_no_such_option=1") {
            Err(Error::UnknownOption { key, .. }) if key == "kit_no_such_option" => {}
            Err(e) => return Err(format!("an unknown option gave the wrong error: {e}")),
            Ok(_) => return Err("an unknown option was accepted".into()),
        }
        report.points += 1;

        let db = cfg
            .open_with(&sim.vfs(), dir, "")
            .map_err(|e| format!("open: {e}"))?;
        let big = vec![b'k'; MAX_KEY_LEN + 1];
        match db.put(&big, b"v") {
            Err(Error::TooLarge { .. }) => {}
            Ok(()) if !cfg.persistent => {
                // An in-memory map has no format limit; it must then keep it.
                let got = db
                    .get(&big)
                    .map_err(|e| format!("get of a large key: {e}"))?;
                if got.as_deref() != Some(&b"v"[..]) {
                    return Err("a large key was accepted but not kept".into());
                }
            }
            Ok(()) => {
                return Err(format!(
                    "a key of {} bytes was accepted; keys above the record limit must be TooLarge",
                    big.len()
                ))
            }
            Err(e) => return Err(format!("an oversized key gave the wrong error: {e}")),
        }
        drop(db);
        report.points += 1;

        if cfg.persistent {
            let ro = Path::new("/readonly");
            sim.vfs()
                .create_dir_all(ro)
                .map_err(|e| format!("fixture: {e}"))?;
            sim.set_dir_writable(ro, false);
            match cfg.open_with(&sim.vfs(), ro, "") {
                Ok(_) => return Err("open in an unwritable directory succeeded".into()),
                Err(e) => {
                    let msg = e.to_string();
                    if !msg.contains("/readonly") {
                        return Err(format!(
                            "open in an unwritable directory: the error does not name it: {msg}"
                        ));
                    }
                    report.detail = format!("unwritable directory: {msg}");
                }
            }
            report.points += 1;
        }
        Ok(())
    })
}
