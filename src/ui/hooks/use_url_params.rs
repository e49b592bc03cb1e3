//! `use_url_params`: a page's scenario in the query string.
//!
//! On mount it parses `location.search` with the page's reader (which falls back to defaults and
//! collects a notice per bad parameter); `write` replaces the query (no new history entry) so a
//! copied link replays the same run.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::sim::{ParamError, QueryParams};

#[derive(Clone)]
pub struct UrlParamsHandle<T: Clone + 'static> {
    value: T,
    notices: Rc<Vec<ParamError>>,
    navigator: Option<Navigator>,
    location: Option<Location>,
}

use std::rc::Rc;

impl<T: Clone + 'static> UrlParamsHandle<T> {
    /// The parameters read when the page loaded.
    pub fn initial(&self) -> &T {
        &self.value
    }
    /// What was wrong in the URL, one notice per bad parameter.
    pub fn notices(&self) -> &[ParamError] {
        &self.notices
    }
    /// Replaces the page's query string with `pairs`.
    pub fn write(&self, pairs: Vec<(String, String)>) {
        let (Some(nav), Some(loc)) = (&self.navigator, &self.location) else { return };
        let path = loc.path().to_string();
        let base = nav.basename().unwrap_or("");
        let route_path = path.strip_prefix(base).unwrap_or(&path);
        let route = crate::ui::Route::recognize(route_path).unwrap_or(crate::ui::Route::NotFound);
        let _ = nav.replace_with_query(&route, &pairs);
    }
}

/// Reads the page's parameters once, with `read` (e.g. `|q| SimParams::read(q)`).
#[hook]
pub fn use_url_params<T, F>(read: F) -> UrlParamsHandle<T>
where
    T: Clone + 'static,
    F: FnOnce(&mut QueryParams) -> T,
{
    let location = use_location();
    let navigator = use_navigator();
    let parsed = {
        let query = location.as_ref().map(|l| l.query_str().to_string()).unwrap_or_default();
        use_memo((), move |_| {
            let mut q = QueryParams::parse(&query);
            let v = read(&mut q);
            (v, Rc::new(q.into_notices()))
        })
    };
    UrlParamsHandle { value: parsed.0.clone(), notices: parsed.1.clone(), navigator, location }
}
