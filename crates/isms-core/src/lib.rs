//! isms-core (work in progress: being written in this commit series).
#![allow(missing_docs)]
