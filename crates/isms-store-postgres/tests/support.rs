//! The test server, its roles, and fresh registers.

use std::sync::OnceLock;

use isms_store_postgres::{Admin, PgStore, RegisterId};
use postgres::{Client, NoTls};

/// The role that owns the `isms` schema in the test database.
pub const OWNER: &str = "isms_owner";

#[allow(clippy::print_stderr)] // a skipped test says why
/// The superuser URL of the test database, or `None` (with a message)
/// when there is no server and this is not CI. Under `CI=true` a missing
/// or unreachable server fails the test.
pub fn server() -> Option<String> {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let Ok(url) = std::env::var("ISMS_TEST_PG_URL") else {
        assert!(
            !ci,
            "CI=true but ISMS_TEST_PG_URL is not set: .ci/run must start the PostgreSQL test server"
        );
        eprintln!(
            "skipping: ISMS_TEST_PG_URL is not set (start a server with scripts/pg-test-server)"
        );
        return None;
    };
    setup(&url);
    Some(url)
}

/// `url` with another user.
pub fn url_as(url: &str, role: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a postgres:// URL");
    let host = rest.split_once('@').map_or(rest, |(_, h)| h);
    format!("{scheme}://{role}@{host}")
}

/// Runs SQL as the superuser.
pub fn superuser(url: &str) -> Client {
    Client::connect(url, NoTls)
        .unwrap_or_else(|e| panic!("the test server at {url} cannot be reached: {e}"))
}

/// Creates a login role if it does not exist.
pub fn create_role(url: &str, role: &str) {
    superuser(url)
        .batch_execute(&format!(
            "DO $$ BEGIN CREATE ROLE \"{role}\" LOGIN NOSUPERUSER;
             EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;"
        ))
        .unwrap();
}

/// Once per process: the owner role, and the schema migrated by it.
fn setup(url: &str) {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        create_role(url, OWNER);
        let db = url.rsplit('/').next().unwrap();
        superuser(url)
            .batch_execute(&format!("GRANT CREATE ON DATABASE \"{db}\" TO {OWNER}"))
            .unwrap();
        Admin::connect(&url_as(url, OWNER))
            .unwrap()
            .migrate()
            .unwrap();
    });
}

/// The owner's admin connection.
pub fn admin(url: &str) -> Admin {
    Admin::connect(&url_as(url, OWNER)).unwrap()
}

/// A register name unique to this process and test.
pub fn unique(name: &str) -> RegisterId {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    RegisterId::new(format!("t{}-{n}-{name}", std::process::id())).unwrap()
}

/// A new register that `role` may work in, and a store on it as `role`.
pub fn fresh(url: &str, name: &str, role: &str) -> PgStore {
    create_role(url, role);
    let register = unique(name);
    let mut admin = admin(url);
    admin.create_register(&register).unwrap();
    admin.grant(&register, role).unwrap();
    PgStore::connect(&url_as(url, role), &register).unwrap()
}

/// The server's message of a failed statement.
pub fn db_message(e: &postgres::Error) -> String {
    e.as_db_error()
        .map_or_else(|| e.to_string(), |db| db.message().to_owned())
}
