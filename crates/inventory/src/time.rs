//! Times as the exports and hover titles write them: UTC ISO 8601. The calendar maths
//! lives in `harbor_client::time`, beside the parser of Harbor's own timestamps.

pub use harbor_client::time::{iso8601, iso8601_opt};
