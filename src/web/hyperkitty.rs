//! HyperKitty's URLs, for archives that move from Mailman 3: `/hyperkitty/list/LIST@DOMAIN/`
//! and its `YYYY/M/` months, `message/HASH/` and `thread/HASH/`, each redirected (301) to
//! larch's page. A message's hash comes from its Message-ID alone
//! (`domain::hyperkitty`), so every link resolves without HyperKitty's database.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;

use super::auth::Viewer;
use super::{AppState, WebError, mailman, urls, visible_list};
use crate::domain::hyperkitty::is_hash;
use crate::domain::month::Month;

type St = State<Arc<AppState>>;

pub async fn list_root(
    State(st): St,
    viewer: Viewer,
    Path(address): Path<String>,
) -> Result<Response, WebError> {
    let l = visible_list(&st, &viewer, mailman::address_list(&st.live, &address)).await?;
    Ok(super::moved(&urls::list(&l.name)))
}

pub async fn path(
    State(st): St,
    viewer: Viewer,
    Path((address, rest)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let l = visible_list(&st, &viewer, mailman::address_list(&st.live, &address)).await?;
    let parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
    let unknown = || {
        WebError::NotFoundHint(super::lang::current().tr(
            "error-old-address",
            &[
                ("what", rest.as_str().into()),
                ("list", l.name.as_str().into()),
            ],
        ))
    };
    match parts.as_slice() {
        [] | ["latest"] | ["recent"] => Ok(super::moved(&urls::list(&l.name))),
        [kind @ ("message" | "thread"), hash, ..] => {
            if !is_hash(hash) {
                return Err(unknown());
            }
            let places = st.store.placements_by_hyperkitty_hash(hash).await?;
            // The list the URL names, if the message is there; else any list the reader
            // may read (a message cross-posted, or a list renamed).
            let place = places
                .iter()
                .find(|p| p.list == l.name)
                .or_else(|| places.iter().find(|p| viewer.can_read(&p.list, p.private)))
                .ok_or_else(unknown)?;
            Ok(super::moved(&if *kind == "message" {
                urls::message(&place.list, &place.mkey)
            } else {
                urls::thread(&place.list, &place.mkey)
            }))
        }
        [year, month, ..] => {
            let ym = year
                .parse()
                .ok()
                .zip(month.parse().ok())
                .and_then(|(y, m)| Month::from_ym(y, m))
                .ok_or_else(unknown)?;
            Ok(super::moved(&urls::month(&l.name, ym)))
        }
        _ => Err(unknown()),
    }
}
