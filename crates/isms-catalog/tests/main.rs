//! The one integration-test binary of isms-catalog.

mod composition;
mod corrections;
mod errors;
mod integrity;
mod loading;
mod queries;
mod reference;
