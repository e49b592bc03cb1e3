//! Each route renders its page; an unknown path renders the 404 page.

use playground::ui::Layout;
use wasm_bindgen_test::*;

use crate::support::*;

async fn render_at(path: &str) -> (web_sys::Element, yew::AppHandle<Routed<Layout>>) {
    mount_at::<Layout>(path).await
}

#[wasm_bindgen_test]
async fn every_route_renders_its_page_and_marks_its_nav_link() {
    for (path, testid, link) in [
        ("/", "page-home", "Home"),
        ("/locks", "page-locks", "Locks"),
        ("/backoff", "page-backoff", "Backoff"),
        ("/load-balancing", "page-load-balancing", "Load balancing"),
        ("/redis", "page-redis", "Redis"),
        ("/cluster", "page-cluster", "Cluster"),
    ] {
        let (root, handle) = render_at(path).await;
        assert!(by_testid(&root, testid).is_some(), "{path} renders {testid}");
        let current = query(&root, "nav [aria-current='page']").expect("one nav link is current");
        assert_eq!(current.text_content().as_deref(), Some(link), "{path} marks {link}");
        assert_eq!(root.query_selector_all("nav [aria-current]").unwrap().length(), 1);
        handle.destroy();
        root.remove();
    }
}

#[wasm_bindgen_test]
async fn unknown_paths_render_the_404_page() {
    for path in ["/nope", "/locks/extra", "/REDIS"] {
        let (root, handle) = render_at(path).await;
        let page = by_testid(&root, "page-not-found").unwrap_or_else(|| panic!("{path} shows the 404 page"));
        assert!(page.text_content().unwrap().contains(path));
        assert!(query(&page, "a").is_some(), "the 404 page links home");
        handle.destroy();
        root.remove();
    }
}

#[wasm_bindgen_test]
async fn the_home_page_has_a_card_per_playground() {
    let (root, handle) = render_at("/").await;
    assert_eq!(
        root.query_selector_all(".card").unwrap().length(),
        6,
        "locks, backoff, load balancing, redis, cluster, messaging"
    );
    handle.destroy();
    root.remove();
}
