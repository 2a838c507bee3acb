//! `LISTEN/NOTIFY`: an application hears of appends without polling.

use std::time::Duration;

use isms_store::workload::Workload;
use isms_store::{EventStore, ExpectedVersion, Selection};
use isms_store_postgres::Listener;

use crate::support::{fresh, server, url_as};

#[test]
fn a_listener_hears_each_committed_append_and_nothing_else() {
    let Some(url) = server() else { return };
    let mut store = fresh(&url, "listen", "isms_app");
    let mut other = fresh(&url, "quiet", "isms_app");
    let mut listener = Listener::connect(&url_as(&url, "isms_app"), store.register()).unwrap();
    assert_eq!(listener.wait(Duration::from_millis(50)).unwrap(), None);

    let mut workload = Workload::new();
    let events = workload.lifecycle(Default::default()).unwrap();
    let stream = events[0].stream;
    store
        .append_to_stream(stream, ExpectedVersion::NoStream, events[..4].to_vec())
        .unwrap();
    assert_eq!(listener.wait(Duration::from_secs(5)).unwrap(), Some(4));

    // A refused append (wrong version) is rolled back: no notification.
    assert!(
        store
            .append_to_stream(stream, ExpectedVersion::Exact(1), events[4..].to_vec())
            .is_err()
    );
    // Another register's append is on another channel.
    let theirs = workload.lifecycle(Default::default()).unwrap();
    other
        .append_to_stream(theirs[0].stream, ExpectedVersion::NoStream, theirs)
        .unwrap();
    assert_eq!(listener.wait(Duration::from_millis(200)).unwrap(), None);

    store
        .append_to_stream(stream, ExpectedVersion::Exact(4), events[4..].to_vec())
        .unwrap();
    let head = listener.wait(Duration::from_secs(5)).unwrap().unwrap();
    assert_eq!(head, 10);
    // What the notification announces can be read.
    assert_eq!(store.load(Selection::After(4)).unwrap().len(), 6);
}
