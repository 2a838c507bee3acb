//! TLS against a real server: a throw-away cluster of its own with
//! `ssl = on` (`scripts/pg-test-server` with `PG_TEST_SSL_DIR`), serving a
//! certificate this test issues from an authority it makes, for a host name
//! that is not the address connected to.

use std::path::{Path, PathBuf};
use std::process::Command;

use isms_store::{OpenError, ReadError};
use isms_store_postgres::{Admin, PgStore, RegisterId, SslMode, TlsError};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};

use crate::support::{create_role, server};

/// The name the server's certificate is issued for (it listens on
/// 127.0.0.1; `hostaddr` connects there while TLS checks this name).
const NAME: &str = "db.isms-test.example";
const PASSWORD: &str = "tls-test-s3cret";

/// A running TLS cluster; stopped and removed on drop.
struct TlsServer {
    dir: PathBuf,
    port: u16,
    script: PathBuf,
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = Command::new(&self.script)
            .args(["stop", self.dir.to_str().unwrap()])
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// An authority (its certificate as PEM, and its issuer for signing).
fn authority(name: &str) -> (String, Issuer<'static, KeyPair>) {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), Issuer::new(params, key))
}

fn start(certs: &Path) -> TlsServer {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/pg-test-server");
    let dir = std::env::temp_dir().join(format!("isms-tls-cluster-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    // A port nobody listens on now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = Command::new(&script)
        .args(["start", dir.to_str().unwrap(), &port.to_string()])
        .env("PG_TEST_SSL_DIR", certs)
        .output()
        .unwrap();
    let server = TlsServer { dir, port, script };
    assert!(
        out.status.success(),
        "the TLS cluster did not start: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    server
}

/// A URL of the TLS cluster for `user`, reaching 127.0.0.1 under the
/// certificate's name, with these extra parameters.
fn url(server: &TlsServer, user: &str, extra: &str) -> String {
    format!(
        "postgres://{user}@{NAME}:{}/isms_test?hostaddr=127.0.0.1&{extra}",
        server.port
    )
}

/// The `TlsError` behind a failed open, if that is what it was.
fn tls_error(e: &OpenError) -> Option<&TlsError> {
    match e {
        OpenError::Storage(ReadError::Backend { source, .. }) => source.downcast_ref::<TlsError>(),
        _ => None,
    }
}

/// Every message of an error and its sources.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(" / ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

#[test]
fn sslmode_is_honoured_against_a_tls_server() {
    // Only where the test server's binaries are (ISMS_TEST_PG_URL set, as
    // .ci/run does); this test runs a cluster of its own beside it.
    let Some(plain) = server() else { return };
    let certs = std::env::temp_dir().join(format!("isms-tls-certs-{}", std::process::id()));
    std::fs::create_dir_all(&certs).unwrap();
    let (ca_pem, ca) = authority("isms test authority");
    let (wrong_pem, _) = authority("someone else's authority");
    let server_key = KeyPair::generate().unwrap();
    let server_cert = CertificateParams::new(vec![NAME.to_owned()])
        .unwrap()
        .signed_by(&server_key, &ca)
        .unwrap();
    std::fs::write(certs.join("server.crt"), server_cert.pem()).unwrap();
    std::fs::write(certs.join("server.key"), server_key.serialize_pem()).unwrap();
    let root = certs.join("root.pem");
    let wrong = certs.join("wrong.pem");
    std::fs::write(&root, ca_pem).unwrap();
    std::fs::write(&wrong, wrong_pem).unwrap();
    let tls = start(&certs);

    // The schema, a register, and an application role with a password.
    let superuser = url(&tls, "postgres", "sslmode=require");
    let mut admin = Admin::connect(&superuser).unwrap();
    admin.migrate().unwrap();
    let register = RegisterId::new("tls").unwrap();
    admin.create_register(&register).unwrap();
    let mut sql = postgres::Client::connect(
        &format!("postgres://postgres@127.0.0.1:{}/isms_test", tls.port),
        postgres::NoTls,
    )
    .unwrap();
    sql.batch_execute(&format!(
        "CREATE ROLE isms_password_check LOGIN PASSWORD '{PASSWORD}'"
    ))
    .unwrap();
    admin.grant(&register, "isms_password_check").unwrap();
    let app = format!("isms_password_check:{PASSWORD}");
    let root_q = format!("sslrootcert={}", root.display());
    let wrong_q = format!("sslrootcert={}", wrong.display());

    // Encrypted or not, as asked; the server says which.
    let open = |extra: &str| PgStore::connect(&url(&tls, &app, extra), &register);
    let encrypted = |extra: &str| open(extra).unwrap().encrypted().unwrap();
    assert!(!encrypted("sslmode=disable"));
    assert!(encrypted("sslmode=prefer"));
    assert!(encrypted("sslmode=require"));
    assert!(encrypted(&format!("sslmode=verify-ca&{root_q}")));
    // The certificate names NAME, the host of the URL, so it is full-verified.
    assert!(encrypted(&format!("sslmode=verify-full&{root_q}")));

    // The wrong authority is refused, typed, and the password is never
    // shown (it is never sent either: TLS fails first).
    for mode in ["verify-ca", "verify-full", "require"] {
        let e = open(&format!("sslmode={mode}&{wrong_q}")).unwrap_err();
        assert!(
            matches!(
                tls_error(&e),
                Some(TlsError::CertificateRefused { mode: m, .. }) if m.as_str() == mode
            ),
            "{mode}: {e:?}"
        );
        let text = chain(&e);
        assert!(!text.contains(PASSWORD), "{text}");
        assert!(text.contains("certificate"), "{text}");
    }
    // The right authority, but connected under a name the certificate does
    // not carry: verify-full refuses, verify-ca accepts.
    let by_address = format!(
        "postgres://{app}@127.0.0.1:{}/isms_test?sslmode=verify-full&{root_q}",
        tls.port
    );
    let e = PgStore::connect(&by_address, &register).unwrap_err();
    assert!(
        matches!(
            tls_error(&e),
            Some(TlsError::CertificateRefused {
                mode: SslMode::VerifyFull,
                ..
            })
        ),
        "{e:?}"
    );
    assert!(!chain(&e).contains(PASSWORD));
    let by_address = by_address.replace("verify-full", "verify-ca");
    assert!(
        PgStore::connect(&by_address, &register)
            .unwrap()
            .encrypted()
            .unwrap()
    );
    // A refused password over TLS does not show the password either.
    let bad = url(
        &tls,
        "isms_password_check:not-the-password",
        &format!("sslmode=verify-full&{root_q}"),
    );
    let e = PgStore::connect(&bad, &register).unwrap_err();
    assert!(tls_error(&e).is_none(), "{e:?}");
    assert!(!chain(&e).contains("not-the-password"), "{}", chain(&e));

    // A server without TLS (the shared test server) refuses `require`.
    create_role(&plain, "isms_app");
    let no_tls = format!(
        "{}{}sslmode=require",
        plain,
        if plain.contains('?') { "&" } else { "?" }
    );
    let e = Admin::connect(&no_tls).unwrap_err();
    match &e {
        ReadError::Backend { source, .. } => assert!(
            matches!(
                source.downcast_ref::<TlsError>(),
                Some(TlsError::NotOffered {
                    mode: SslMode::Require
                })
            ),
            "{e:?}"
        ),
        other => panic!("expected a backend error, got {other:?}"),
    }
    std::fs::remove_dir_all(&certs).unwrap();
}
