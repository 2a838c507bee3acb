//! The test support itself: roles created by many tests at once.

use crate::support::{create_role, server, superuser};

/// Tests run in parallel and several create the same role on first use.
/// PostgreSQL reports two concurrent `CREATE ROLE`s of one name as a
/// unique violation, not as `duplicate_object`; both must be accepted or
/// a test fails for no reason of its own (as one did in CI).
#[test]
fn many_threads_creating_one_new_role_at_once_all_succeed() {
    let Some(url) = server() else { return };
    let role = format!("isms_race_{}", std::process::id());
    std::thread::scope(|s| {
        for _ in 0..16 {
            let (url, role) = (url.clone(), role.clone());
            s.spawn(move || create_role(&url, &role));
        }
    });
    let found: i64 = superuser(&url)
        .query_one("SELECT count(*) FROM pg_roles WHERE rolname = $1", &[&role])
        .unwrap()
        .get(0);
    assert_eq!(found, 1);
    superuser(&url)
        .batch_execute(&format!("DROP ROLE \"{role}\""))
        .unwrap();
}
