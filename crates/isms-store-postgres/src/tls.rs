//! TLS to the server: libpq's `sslmode` and `sslrootcert` in the connection
//! string, carried out with rustls (pure Rust, the ring provider).
//!
//! | `sslmode` | encrypted | the server's certificate |
//! |---|---|---|
//! | `disable` | never | not asked for |
//! | `prefer` (the default, as in libpq) | if the server offers TLS | not checked, unless `sslrootcert` is given (then as `verify-ca`) |
//! | `require` | always, or no connection | not checked, unless `sslrootcert` is given (then as `verify-ca`) |
//! | `verify-ca` | always | signed by an authority in `sslrootcert` |
//! | `verify-full` | always | signed by an authority in `sslrootcert`, and issued for the host connected to |
//!
//! `sslrootcert=FILE` names a PEM file of one or more authority
//! certificates; `verify-ca` and `verify-full` need it (libpq's fallback to
//! `~/.postgresql/root.crt` and `sslrootcert=system` are not supported: name
//! the file). tokio-postgres reads the rest of the string; these two
//! parameters are taken out before it does, since it knows only `disable`,
//! `prefer` and `require`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use postgres::config::SslMode as WireMode;
use postgres::{Client, Config};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

/// How a connection is secured (libpq's `sslmode`; see the module docs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SslMode {
    /// Never encrypted.
    Disable,
    /// Encrypted if the server offers it.
    #[default]
    Prefer,
    /// Always encrypted; the certificate is checked only against a given
    /// `sslrootcert`.
    Require,
    /// Always encrypted, with a certificate signed by an authority of
    /// `sslrootcert`.
    VerifyCa,
    /// As `VerifyCa`, and the certificate names the host connected to.
    VerifyFull,
}

impl SslMode {
    /// The value as written in a connection string.
    pub const fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }

    fn parse(value: &str) -> Result<Self, TlsError> {
        Ok(match value {
            "disable" => SslMode::Disable,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            // libpq's `allow` tries plain text first: never what a register wants.
            other => {
                return Err(TlsError::UnknownMode {
                    value: other.to_owned(),
                });
            }
        })
    }
}

impl std::fmt::Display for SslMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a secured connection could not be made. It is the `source` of the
/// [`isms_store::ReadError::Backend`] that `connect` returns, so a caller
/// tells a refused certificate from a refused login with
/// `source.downcast_ref::<TlsError>()`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// `sslmode` has a value this store does not know.
    #[error(
        "sslmode={value:?} is not one of disable, prefer, require, verify-ca, verify-full; fix the connection string"
    )]
    UnknownMode {
        /// The value given.
        value: String,
    },
    /// `verify-ca` or `verify-full` without `sslrootcert`.
    #[error(
        "sslmode={mode} checks the server's certificate against an authority: add sslrootcert=FILE (a PEM file of the authority's certificate) to the connection string"
    )]
    NoRootCertificate {
        /// The mode given.
        mode: SslMode,
    },
    /// The `sslrootcert` file cannot be read or holds no usable
    /// certificate.
    #[error("sslrootcert {path}: {detail}")]
    RootCertificate {
        /// The file named.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
    /// The server's certificate did not pass the check `sslmode` asks for
    /// (an unknown authority, another host's name, expired...). No
    /// password was sent.
    #[error(
        "the server's certificate was refused (sslmode={mode}): {detail}; check sslrootcert and the host name"
    )]
    CertificateRefused {
        /// The mode in force.
        mode: SslMode,
        /// rustls's reason.
        detail: String,
    },
    /// `require` or stricter, and the server does not accept TLS.
    #[error(
        "sslmode={mode} needs TLS, and the server does not offer it (ssl = off in its configuration?)"
    )]
    NotOffered {
        /// The mode in force.
        mode: SslMode,
    },
}

/// A connection string read: tokio-postgres's configuration, with the TLS
/// settings taken out and kept here.
pub(crate) struct Target {
    pub(crate) config: Config,
    mode: SslMode,
    root: Option<PathBuf>,
}

/// A failure to read a connection string or to connect.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The TLS settings.
    Tls(TlsError),
    /// tokio-postgres's (the string, the network, the login).
    Postgres(postgres::Error),
}

impl Target {
    /// Reads a libpq URL or key-value string.
    pub(crate) fn parse(text: &str) -> Result<Self, Failure> {
        let (rest, tls) = take_tls_parameters(text);
        let mode = match &tls.mode {
            Some(v) => SslMode::parse(v).map_err(Failure::Tls)?,
            None => SslMode::Prefer,
        };
        let mut config: Config = rest.parse().map_err(Failure::Postgres)?;
        config.ssl_mode(match mode {
            SslMode::Disable => WireMode::Disable,
            SslMode::Prefer => WireMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => WireMode::Require,
        });
        if matches!(mode, SslMode::VerifyCa | SslMode::VerifyFull) && tls.root.is_none() {
            return Err(Failure::Tls(TlsError::NoRootCertificate { mode }));
        }
        Ok(Self {
            config,
            mode,
            root: tls.root.map(PathBuf::from),
        })
    }

    /// Connects as the string says.
    pub(crate) fn connect(&self) -> Result<Client, Failure> {
        let tls = self.connector().map_err(Failure::Tls)?;
        self.config.connect(tls).map_err(|e| self.explain(e))
    }

    fn connector(&self) -> Result<MakeRustlsConnect, TlsError> {
        // rustls deprecates ring's provider for lacking post-quantum key
        // exchange; its default (aws-lc-rs) needs cmake and more to build.
        // Classical key exchange is what libpq with OpenSSL offers today.
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::CertificateRefused {
                mode: self.mode,
                detail: e.to_string(),
            })?;
        let verifier: Arc<dyn ServerCertVerifier> = match (&self.root, self.mode) {
            (None, _) => Arc::new(AnyCertificate(provider)),
            (Some(path), mode) => {
                let roots = read_roots(path)?;
                let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                    .build()
                    .map_err(|e| TlsError::RootCertificate {
                        path: path.clone(),
                        detail: e.to_string(),
                    })?;
                Arc::new(Authority {
                    webpki,
                    check_name: mode == SslMode::VerifyFull,
                })
            }
        };
        let config = builder
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        Ok(MakeRustlsConnect::new(config))
    }

    /// A connection failure, typed when TLS refused it.
    fn explain(&self, e: postgres::Error) -> Failure {
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&e);
        while let Some(c) = cause {
            let tls = c.downcast_ref::<std::io::Error>().and_then(|io| {
                io.get_ref()
                    .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            });
            if let Some(tls) = tls.or_else(|| c.downcast_ref::<rustls::Error>()) {
                return Failure::Tls(TlsError::CertificateRefused {
                    mode: self.mode,
                    detail: tls.to_string(),
                });
            }
            cause = c.source();
        }
        // tokio-postgres's own words when the server answers the TLS
        // request with "no".
        let mut words = e.to_string();
        let mut cause = std::error::Error::source(&e);
        while let Some(c) = cause {
            words.push_str(&c.to_string());
            cause = c.source();
        }
        if self.mode != SslMode::Prefer && words.contains("server does not support TLS") {
            return Failure::Tls(TlsError::NotOffered { mode: self.mode });
        }
        Failure::Postgres(e)
    }
}

/// Reads `url` and connects: the client and the label `label_of` makes of
/// the configuration (never the password). A failure names the label, or
/// `postgres` while the string is not read yet.
pub(crate) fn open(
    url: &str,
    label_of: impl FnOnce(&Config) -> PathBuf,
) -> Result<(Client, PathBuf), isms_store::ReadError> {
    let read_error = |path: PathBuf, operation, failure| match failure {
        Failure::Tls(e) => isms_store::ReadError::Backend {
            path,
            operation,
            source: Box::new(e),
        },
        Failure::Postgres(e) => crate::store::pg_err(&path, operation, e),
    };
    let target = Target::parse(url)
        .map_err(|f| read_error(PathBuf::from("postgres"), "read the connection string", f))?;
    let label = label_of(&target.config);
    match target.connect() {
        Ok(client) => Ok((client, label)),
        Err(f) => Err(read_error(label, "connect", f)),
    }
}

/// The authority certificates in a PEM file.
fn read_roots(path: &Path) -> Result<RootCertStore, TlsError> {
    let bad = |detail: String| TlsError::RootCertificate {
        path: path.to_owned(),
        detail,
    };
    let mut roots = RootCertStore::empty();
    let certificates = CertificateDer::pem_file_iter(path).map_err(|e| bad(e.to_string()))?;
    for certificate in certificates {
        let certificate = certificate.map_err(|e| bad(e.to_string()))?;
        roots
            .add(certificate)
            .map_err(|e| bad(format!("a certificate is not usable as an authority ({e})")))?;
    }
    if roots.is_empty() {
        return Err(bad("the file holds no PEM certificate".into()));
    }
    Ok(roots)
}

/// `sslmode` and `sslrootcert` as found in a connection string.
#[derive(Debug, Default, PartialEq, Eq)]
struct TlsParameters {
    mode: Option<String>,
    root: Option<String>,
}

/// The string without `sslmode` and `sslrootcert`, and their values.
fn take_tls_parameters(text: &str) -> (String, TlsParameters) {
    let mut found = TlsParameters::default();
    let mut take = |key: &str, value: String| match key {
        "sslmode" => {
            found.mode = Some(value);
            true
        }
        "sslrootcert" => {
            found.root = Some(value);
            true
        }
        _ => false,
    };
    let rest = if text.starts_with("postgres://") || text.starts_with("postgresql://") {
        match text.split_once('?') {
            None => text.to_owned(),
            Some((base, query)) => {
                let kept: Vec<&str> = query
                    .split('&')
                    .filter(|pair| {
                        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                        !take(key, percent_decode(value))
                    })
                    .collect();
                if kept.is_empty() {
                    base.to_owned()
                } else {
                    format!("{base}?{}", kept.join("&"))
                }
            }
        }
    } else {
        let mut kept = String::new();
        for (key, value, raw) in key_values(text) {
            if !take(key, value) {
                kept.push_str(raw);
                kept.push(' ');
            }
        }
        kept.trim_end().to_owned()
    };
    (rest, found)
}

/// `%XX` escapes of a URL parameter decoded (a malformed one is kept as is).
fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The `key=value` pairs of a key-value connection string: key, unquoted
/// value, and the pair's text as written (libpq's syntax: spaces around
/// `=` allowed, values in single quotes with `\'` and `\\` escapes).
fn key_values(text: &str) -> Vec<(&str, String, &str)> {
    let mut pairs = Vec::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let start = rest;
        let key_end = rest
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(rest.len());
        let key = &rest[..key_end];
        rest = rest[key_end..].trim_start();
        let Some(after) = rest.strip_prefix('=') else {
            // Not a pair: keep the word for tokio-postgres to complain about.
            pairs.push((key, String::new(), &start[..key_end]));
            continue;
        };
        rest = after.trim_start();
        let mut value = String::new();
        if let Some(quoted) = rest.strip_prefix('\'') {
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, escaped)) = chars.next() {
                            value.push(escaped);
                        }
                    }
                    '\'' => {
                        end = i + 1;
                        break;
                    }
                    c => value.push(c),
                }
            }
            rest = &quoted[end.min(quoted.len())..];
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            value.push_str(&rest[..end]);
            rest = &rest[end..];
        }
        let raw_len = start.len() - rest.len();
        pairs.push((key, value, &start[..raw_len]));
        rest = rest.trim_start();
    }
    pairs
}

/// `require` and `prefer` without an authority: encryption without a
/// check of who holds the certificate (libpq's behaviour). The handshake's
/// signatures are still verified, so the server holds the key of the
/// certificate it shows.
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A certificate signed by an authority of `sslrootcert`; with
/// `check_name`, also issued for the host connected to (`verify-full`).
#[derive(Debug)]
struct Authority {
    webpki: Arc<WebPkiServerVerifier>,
    check_name: bool,
}

impl ServerCertVerifier for Authority {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            // webpki checks the name after the chain: a name mismatch means
            // the chain held, which is all `verify-ca` asks.
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.check_name => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_parameters_are_taken_out_of_urls() {
        let (rest, found) = take_tls_parameters(
            "postgres://app@db/isms?sslmode=verify-full&application_name=x&sslrootcert=%2Fetc%2Fca%20one.pem",
        );
        assert_eq!(rest, "postgres://app@db/isms?application_name=x");
        assert_eq!(found.mode.as_deref(), Some("verify-full"));
        assert_eq!(found.root.as_deref(), Some("/etc/ca one.pem"));
        let (rest, found) = take_tls_parameters("postgres://app@db/isms?sslmode=require");
        assert_eq!(rest, "postgres://app@db/isms");
        assert_eq!(found.root, None);
        let (rest, found) = take_tls_parameters("postgresql://app@db/isms");
        assert_eq!(rest, "postgresql://app@db/isms");
        assert_eq!(found, TlsParameters::default());
    }

    #[test]
    fn tls_parameters_are_taken_out_of_key_value_strings() {
        let (rest, found) = take_tls_parameters(
            "host=db  sslmode = verify-ca user=app sslrootcert='/etc/it\\'s ca.pem' dbname=isms",
        );
        assert_eq!(rest, "host=db user=app dbname=isms");
        assert_eq!(found.mode.as_deref(), Some("verify-ca"));
        assert_eq!(found.root.as_deref(), Some("/etc/it's ca.pem"));
    }

    #[test]
    fn modes_are_read_and_checked() {
        for mode in [
            SslMode::Disable,
            SslMode::Prefer,
            SslMode::Require,
            SslMode::VerifyCa,
            SslMode::VerifyFull,
        ] {
            assert_eq!(SslMode::parse(mode.as_str()).unwrap(), mode);
        }
        assert!(matches!(
            Target::parse("postgres://app@db/isms?sslmode=allow"),
            Err(Failure::Tls(TlsError::UnknownMode { value })) if value == "allow"
        ));
        assert!(matches!(
            Target::parse("postgres://app@db/isms?sslmode=verify-full"),
            Err(Failure::Tls(TlsError::NoRootCertificate {
                mode: SslMode::VerifyFull
            }))
        ));
        let target = Target::parse("postgres://app@db/isms").unwrap();
        assert_eq!(target.mode, SslMode::Prefer);
        assert_eq!(target.config.get_ssl_mode(), WireMode::Prefer);
        let target =
            Target::parse("postgres://app@db/isms?sslmode=verify-ca&sslrootcert=ca.pem").unwrap();
        assert_eq!(target.config.get_ssl_mode(), WireMode::Require);
        assert_eq!(target.root.as_deref(), Some(Path::new("ca.pem")));
    }

    #[test]
    fn a_missing_or_empty_root_file_is_named() {
        let missing = Path::new("/nonexistent/isms-ca.pem");
        match read_roots(missing) {
            Err(TlsError::RootCertificate { path, .. }) => assert_eq!(path, missing),
            other => panic!("expected RootCertificate, got {other:?}"),
        }
        let empty = std::env::temp_dir().join(format!("isms-empty-ca-{}.pem", std::process::id()));
        std::fs::write(&empty, "no certificate here\n").unwrap();
        let err = read_roots(&empty).unwrap_err();
        std::fs::remove_file(&empty).unwrap();
        assert!(err.to_string().contains("no PEM certificate"), "{err}");
    }
}
