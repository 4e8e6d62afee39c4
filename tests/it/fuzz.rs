//! Arbitrary bytes through the splitter and the normalizer: never a panic.

use larch::domain::normalize::{Origin, normalize};
use larch::ingest::mbox::MboxReader;
use proptest::prelude::*;

fn mailish() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"From a@b Tue Mar  1 03:09:56 2005\n".to_vec()),
        Just(b"From jane at example.org  Tue Mar  1 03:09:56 2005\n".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b">From x\n".to_vec()),
        Just(b"Content-Length: 12\n".to_vec()),
        Just(b"Content-Type: multipart/mixed; boundary=x\n".to_vec()),
        Just(b"--x\n".to_vec()),
        Just(b"Content-Transfer-Encoding: base64\n".to_vec()),
        Just(b"Subject: =?utf-8?b?w6k=?= =?bogus?q?x?=\n".to_vec()),
        Just(b"Date: Mon, 2 Sep 102 10:00:00 +9999\n".to_vec()),
        Just(b"References: <a@b> <b@c\n".to_vec()),
        prop::collection::vec(any::<u8>(), 0..40),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, timeout: 2000, ..ProptestConfig::default() })]

    #[test]
    fn splitter_and_normalizer_never_panic(data in mailish()) {
        let msgs: Vec<_> = MboxReader::new(&data[..]).collect::<Result<Vec<_>, _>>().unwrap();
        for m in msgs {
            let _ = normalize(&m.data, Origin { envelope: m.envelope.as_deref(), pipermail: false });
            let _ = normalize(&m.data, Origin { envelope: m.envelope.as_deref(), pipermail: true });
        }
        let _ = normalize(&data, Origin::default());
    }

    #[test]
    fn raw_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..4000)) {
        for m in MboxReader::new(&data[..]).flatten() {
            let _ = normalize(&m.data, Origin::default());
        }
        let _ = normalize(&data, Origin::default());
    }
}
