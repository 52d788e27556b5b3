//! Signing keys, through nothing but the `KeyStore`.

use super::audit;
use crate::store::{KeyStore, StoreError, StoredKey};

pub(super) async fn signing_keys_round_trip(d: &dyn KeyStore) {
    assert!(d.signing_keys().await.unwrap().is_empty());
    let k = StoredKey {
        kid: "k1".into(),
        alg: "ES256".into(),
        encrypted_private: vec![1, 2, 3, 0, 255],
        public_jwk: "{}".into(),
        created_at: 10,
        activate_at: 20,
        retire_at: Some(30),
    };
    d.insert_signing_key(&k).await.unwrap();
    assert_eq!(d.signing_keys().await.unwrap(), vec![k.clone()]);
    d.retire_signing_key("k1", 99, &audit("keys.retired", ""))
        .await
        .unwrap();
    assert_eq!(d.signing_keys().await.unwrap()[0].retire_at, Some(99));
    assert!(matches!(
        d.retire_signing_key("nope", 99, &audit("keys.retired", ""))
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        d.insert_signing_key(&k).await,
        Err(StoreError::Conflict(_))
    ));
}
