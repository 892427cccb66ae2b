//! Domain model of ipamd: the [MS-IPAMM2] types of the DHCP failover slice.
//!
//! Nothing here knows about XML, SQL or sockets. The wire layer (`ipam-soap`) maps these
//! types to DataContract XML; the store (`ipam-store`) maps them to the ADM tables
//! (§3.1.1.1); the engine (`ipam-engine`) runs the operations on them.

mod dhcp;
mod enums;
mod exception;
mod exception_id;
pub mod inventory;
mod params;
mod progress;
mod timespan;
pub mod validate;

pub use dhcp::*;
pub use enums::*;
pub use exception::IpamException;
pub use exception_id::IpamExceptionId;
pub use params::*;
pub use progress::*;
pub use timespan::{DurationError, TICKS_PER_SECOND, TimeSpan};
