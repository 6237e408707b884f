//! A workload's parameters, read and checked from its properties once, so
//! the streams never parse or validate anything per operation.

use crate::error::{Error, Result};
use crate::properties::Properties;

/// How the run phase chooses records (`requestdistribution`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Distribution {
    /// Every record equally likely.
    Uniform,
    /// YCSB's scrambled zipfian: popular records spread over the key space.
    Zipfian,
    /// Zipfian over recency: the newest records most likely.
    Latest,
    /// A hot set at the low end of the records and a uniform cold rest.
    Hotspot {
        /// Fraction of the records in the hot set (`hotspotdatafraction`),
        /// at most 1.
        data: f64,
        /// Fraction of the operations that go to it (`hotspotopnfraction`),
        /// at most 1.
        opn: f64,
    },
    /// Record after record in order, one counter per thread.
    Sequential,
    /// Popularity decaying exponentially with distance from the newest
    /// record.
    Exponential {
        /// Percentage of operations that fall in the newest `frac` of the
        /// records (`exponential.percentile`), below 100.
        percentile: f64,
        /// That fraction of the records (`exponential.frac`), above 0.
        frac: f64,
    },
}

/// How long each field is (`fieldlengthdistribution`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldLength {
    /// Every field is `fieldlength` bytes.
    Constant,
    /// Uniform in `minfieldlength..=fieldlength`.
    Uniform,
    /// Zipfian over `minfieldlength..=fieldlength`, short fields most likely.
    Zipfian,
}

/// Everything the streams need.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    /// Records in the whole data set (`recordcount`).
    pub records: u64,
    /// Operations of the run phase (`operationcount`).
    pub operations: u64,
    /// First record number this client loads (`insertstart`);
    /// `insert_start + insert_count <= records`.
    pub insert_start: u64,
    /// Records the run phase chooses among (`insertcount`, default
    /// `recordcount`).
    pub insert_count: u64,
    /// Fields per record (`fieldcount`); a value is all of them end to end.
    pub field_count: u64,
    /// Bytes per field, the maximum when lengths vary (`fieldlength`);
    /// `field_count * field_len` is at most 64 MiB.
    pub field_len: u64,
    /// Shortest field when lengths vary (`minfieldlength`), at least 1 and,
    /// for a varying length, at most `field_len`.
    pub min_field: u64,
    /// How field lengths are drawn.
    pub field_length: FieldLength,
    /// Weight of reads among the operations (`readproportion`); like the
    /// five below, finite and non-negative, a share of `total`.
    pub read: f64,
    /// Weight of updates (`updateproportion`).
    pub update: f64,
    /// Weight of inserts (`insertproportion`).
    pub insert: f64,
    /// Weight of scans (`scanproportion`).
    pub scan: f64,
    /// Weight of read-modify-writes (`readmodifywriteproportion`).
    pub rmw: f64,
    /// Weight of deletes (`deleteproportion`).
    pub delete: f64,
    /// Sum of the proportions.
    pub total: f64,
    /// How the run phase picks records (`requestdistribution`).
    pub distribution: Distribution,
    /// The zipfian and latest distributions' constant (`zipfianconstant`),
    /// in (0, 1).
    pub zipfian_constant: f64,
    /// Fewest pairs a scan asks for (`minscanlength`), at least 1.
    pub min_scan: u64,
    /// Most pairs a scan asks for (`maxscanlength`), at least `min_scan`.
    pub max_scan: u64,
    /// `scanlengthdistribution=zipfian`: short scans most likely; otherwise
    /// uniform between the bounds.
    pub scan_zipfian: bool,
    /// `insertorder=ordered`: record numbers are not hashed.
    pub ordered: bool,
    /// Digits a key's record number is zero-padded to after `user`
    /// (`zeropadding`), at most 20.
    pub zero_padding: usize,
    /// `writeallfields`: an update writes every field. When false (YCSB's
    /// default) it writes one, which a key-value store, holding a record
    /// in one value, does as YCSB's key-value bindings do: read the record,
    /// replace the field, write the whole record back.
    pub write_all_fields: bool,
    /// `readallfields`. A key-value engine returns the whole record either
    /// way (YCSB's bindings read it and drop the other fields), so this
    /// changes no engine call; it is checked and recorded.
    pub read_all_fields: bool,
    /// `threadcount`, when a file or override set it: the client threads
    /// `--threads` stands for when not given.
    pub thread_count: Option<usize>,
}

fn boolean(p: &Properties, name: &str) -> Result<bool> {
    match p.get(name).unwrap_or("") {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(Error::Property(format!(
            "property {name}={other}: expected true or false"
        ))),
    }
}

/// Properties YCSB reads that would change what runs, where we run
/// something else: an error naming the property, never silence.
fn refuse_unsupported(p: &Properties) -> Result<()> {
    if boolean(p, "dataintegrity")? {
        return Err(Error::Property(
            "property dataintegrity=true is not supported: values are random bytes, not derived \
             from the key, so a read cannot be checked against what was written"
                .into(),
        ));
    }
    match p.get("workload").unwrap_or("") {
        "" | "site.ycsb.workloads.CoreWorkload" | "com.yahoo.ycsb.workloads.CoreWorkload" => {}
        other => {
            return Err(Error::Property(format!(
                "property workload={other}: only CoreWorkload is implemented"
            )))
        }
    }
    match p.get("measurementtype").unwrap_or("") {
        "" | "histogram" | "hdrhistogram" | "timeseries" => Ok(()),
        other => Err(Error::Property(format!(
            "property measurementtype={other}: expected histogram, hdrhistogram or timeseries \
             (HdrHistograms and a timeseries are always written)"
        ))),
    }
}

impl Spec {
    /// Read and check the properties.
    pub fn from_properties(p: &Properties) -> Result<Spec> {
        let u = |name: &str| p.parse::<u64>(name, "a non-negative integer");
        let f = |name: &str| -> Result<f64> {
            let v: f64 = p.parse(name, "a number")?;
            if !(v.is_finite() && v >= 0.0) {
                return Err(Error::Property(format!(
                    "property {name}={v}: expected a non-negative number"
                )));
            }
            Ok(v)
        };
        refuse_unsupported(p)?;
        let records = u("recordcount")?;
        let insert_start = u("insertstart")?;
        // YCSB's default: the records from insertstart on.
        let insert_count = match p.get("insertcount") {
            Some(v) if !v.is_empty() => u("insertcount")?,
            _ => records.saturating_sub(insert_start),
        };
        // YCSB's own check: this client's share of the load must lie
        // within the records of the whole data set.
        if insert_start.saturating_add(insert_count) > records {
            return Err(Error::Property(format!(
                "insertstart={insert_start} + insertcount={insert_count} is more than \
                 recordcount={records}"
            )));
        }
        let thread_count = match p.get("threadcount") {
            None | Some("") => None,
            Some(_) => match u("threadcount")? {
                0 => {
                    return Err(Error::Property(
                        "property threadcount=0: expected at least 1".into(),
                    ))
                }
                n => Some(n as usize),
            },
        };
        let distribution = match p.get("requestdistribution").unwrap_or("uniform") {
            "uniform" => Distribution::Uniform,
            "zipfian" => Distribution::Zipfian,
            "latest" => Distribution::Latest,
            "sequential" => Distribution::Sequential,
            "hotspot" => Distribution::Hotspot {
                data: f("hotspotdatafraction")?.min(1.0),
                opn: f("hotspotopnfraction")?.min(1.0),
            },
            "exponential" => Distribution::Exponential {
                percentile: f("exponential.percentile")?.min(99.999),
                frac: f("exponential.frac")?.max(1e-9),
            },
            other => {
                return Err(Error::Property(format!(
                    "property requestdistribution={other}: expected uniform, zipfian, latest, hotspot, sequential or exponential"
                )))
            }
        };
        let field_length = match p.get("fieldlengthdistribution").unwrap_or("constant") {
            "constant" => FieldLength::Constant,
            "uniform" => FieldLength::Uniform,
            "zipfian" => FieldLength::Zipfian,
            other => {
                return Err(Error::Property(format!(
                "property fieldlengthdistribution={other}: expected constant, uniform or zipfian"
            )))
            }
        };
        let scan_zipfian = match p.get("scanlengthdistribution").unwrap_or("uniform") {
            "uniform" => false,
            "zipfian" => true,
            other => {
                return Err(Error::Property(format!(
                    "property scanlengthdistribution={other}: expected uniform or zipfian"
                )))
            }
        };
        let ordered = match p.get("insertorder").unwrap_or("hashed") {
            "hashed" => false,
            "ordered" => true,
            other => {
                return Err(Error::Property(format!(
                    "property insertorder={other}: expected hashed or ordered"
                )))
            }
        };
        let zipfian_constant = f("zipfianconstant")?;
        if !(0.0..1.0).contains(&zipfian_constant) || zipfian_constant == 0.0 {
            return Err(Error::Property(format!(
                "property zipfianconstant={zipfian_constant}: expected a number in (0, 1)"
            )));
        }
        let (read, update, insert, scan, rmw, delete) = (
            f("readproportion")?,
            f("updateproportion")?,
            f("insertproportion")?,
            f("scanproportion")?,
            f("readmodifywriteproportion")?,
            f("deleteproportion")?,
        );
        let total = read + update + insert + scan + rmw + delete;
        let operations = u("operationcount")?;
        if total <= 0.0 && operations > 0 {
            return Err(Error::Property(
                "every operation proportion is 0: nothing to run".into(),
            ));
        }
        let (min_scan, max_scan) = (u("minscanlength")?.max(1), u("maxscanlength")?);
        if max_scan < min_scan {
            return Err(Error::Property(format!(
                "maxscanlength={max_scan} is below minscanlength={min_scan}"
            )));
        }
        let (field_len, min_field) = (u("fieldlength")?, u("minfieldlength")?.max(1));
        let field_count = u("fieldcount")?;
        if field_length != FieldLength::Constant && field_len < min_field {
            return Err(Error::Property(format!(
                "fieldlength={field_len} is below minfieldlength={min_field}"
            )));
        }
        if field_count.saturating_mul(field_len) > 64 << 20 {
            return Err(Error::Property(format!(
                "fieldcount x fieldlength = {} bytes: values over 64 MiB are not supported",
                field_count.saturating_mul(field_len)
            )));
        }
        Ok(Spec {
            records,
            operations,
            insert_start,
            insert_count,
            field_count,
            field_len,
            min_field,
            field_length,
            read,
            update,
            insert,
            scan,
            rmw,
            delete,
            total,
            distribution,
            zipfian_constant,
            min_scan,
            max_scan,
            scan_zipfian,
            ordered,
            zero_padding: (u("zeropadding")?).min(20) as usize,
            write_all_fields: boolean(p, "writeallfields")?,
            read_all_fields: boolean(p, "readallfields")?,
            thread_count,
        })
    }
}
