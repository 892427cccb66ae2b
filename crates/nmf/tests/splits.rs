//! Feeding the same bytes whole, one byte at a time, or in random splits
//! gives the same events and the same output.

mod common;

use common::{MONO_C2S, Transcript, concat, drive, drive_bytewise, drive_whole};
use nmf::{KnownEncoding, Limits, Mode, Record, decode_record, encode_preamble};
use proptest::prelude::*;

fn split_at_points<'a>(bytes: &'a [u8], points: &[usize]) -> Vec<&'a [u8]> {
    let mut cuts: Vec<usize> = points.iter().map(|p| p % (bytes.len() + 1)).collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut out = Vec::new();
    let mut prev = 0;
    for c in cuts.into_iter().chain([bytes.len()]) {
        out.push(&bytes[prev..c]);
        prev = c;
    }
    out
}

fn drive_split(limits: Limits, bytes: &[u8], points: &[usize]) -> Transcript {
    drive(limits, split_at_points(bytes, points))
}

/// A valid client stream built from arbitrary envelopes, maybe followed by
/// arbitrary trailing bytes.
fn client_stream() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec(prop::collection::vec(any::<u8>(), 1..400), 0..6),
        prop::collection::vec(any::<u8>(), 0..16),
        any::<bool>(),
    )
        .prop_map(|(envelopes, tail, encoding)| {
            let enc = if encoding {
                KnownEncoding::Soap12Utf8
            } else {
                KnownEncoding::Soap12BinarySession
            };
            let mut v = encode_preamble("net.tcp://h/p", Mode::Duplex, enc).unwrap();
            v.push(0x0c);
            for e in envelopes {
                v.extend(Record::SizedEnvelope(e).to_bytes().unwrap());
            }
            v.extend(tail);
            v
        })
}

proptest! {
    #[test]
    fn mono_capture_random_splits(points in prop::collection::vec(any::<usize>(), 0..40)) {
        let bytes = concat(MONO_C2S);
        let whole = drive_whole(Limits::default(), &bytes);
        prop_assert_eq!(drive_split(Limits::default(), &bytes, &points), whole);
    }

    #[test]
    fn valid_streams_random_splits(
        bytes in client_stream(),
        points in prop::collection::vec(any::<usize>(), 0..30),
    ) {
        let limits = Limits::with_max_envelope_size(300);
        let whole = drive_whole(limits.clone(), &bytes);
        prop_assert_eq!(&drive_split(limits.clone(), &bytes, &points), &whole);
        prop_assert_eq!(&drive_bytewise(limits, &bytes), &whole);
    }

    #[test]
    fn arbitrary_bytes_random_splits(
        bytes in prop::collection::vec(any::<u8>(), 0..300),
        points in prop::collection::vec(any::<usize>(), 0..30),
    ) {
        let whole = drive_whole(Limits::default(), &bytes);
        prop_assert_eq!(&drive_split(Limits::default(), &bytes, &points), &whole);
        prop_assert_eq!(&drive_bytewise(Limits::default(), &bytes), &whole);
    }

    #[test]
    fn decode_record_never_panics_and_prefixes_agree(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let limits = Limits::default();
        if let Ok(Some((record, n))) = decode_record(&bytes, &limits) {
            // A complete record re-encodes to its bytes (single-chunk forms).
            if !matches!(record, Record::UnsizedEnvelope(_)) {
                prop_assert_eq!(record.to_bytes().unwrap(), &bytes[..n]);
            }
            // Every proper prefix is incomplete, never an error.
            for cut in 0..n {
                prop_assert_eq!(decode_record(&bytes[..cut], &limits), Ok(None));
            }
        }
    }
}
