//! The schema's migrations are compiled into the binary (`sqlx::migrate!`): a new file in
//! `migrations/` must rebuild it, which cargo does not see on its own.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
