//! The one integration-test binary of isms-catalog.

mod composition;
mod errors;
mod integrity;
mod loading;
mod queries;
mod reference;
