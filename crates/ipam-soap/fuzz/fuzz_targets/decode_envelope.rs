//! Envelope decoding, both sides, must never panic; a decoded request must re-encode and
//! decode to the same value.
#![no_main]

use ipam_soap::{Limits, RequestBody, decode_request, decode_server_message, encode_fault, encode_initialize_request};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    match decode_request(data, &limits) {
        Ok(r) => {
            if let RequestBody::InitializeOperationParameters(p) = &r.body {
                let xml = encode_initialize_request(p.as_option(), "m", None);
                let big = Limits { max_message_size: 1 << 22, ..Limits::default() };
                let back = decode_request(xml.as_bytes(), &big).expect("re-encoded request decodes");
                match (back.body, p.as_option()) {
                    (RequestBody::InitializeOperationParameters(b), Some(p)) => assert_eq!(b.as_option(), Some(p)),
                    (RequestBody::InitializeOperationParameters(b), None) => assert_eq!(b.as_option(), None),
                    _ => unreachable!(),
                }
            }
        }
        Err(f) => {
            let _ = encode_fault(&f, f.request_message_id.as_deref());
        }
    }
    let _ = decode_server_message(data, &limits);
});
