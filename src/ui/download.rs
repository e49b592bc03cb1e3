//! Saving text (CSV, JSON) the user exported as a file, without a server.

use wasm_bindgen::JsCast;

/// Offers `text` as a download named `filename`. Returns a message naming what failed, if anything.
pub fn download_text(filename: &str, mime: &str, text: &str) -> Result<(), String> {
    let fail = |what: &str| format!("Could not save {filename}: {what}");
    let doc = web_sys::window().and_then(|w| w.document()).ok_or_else(|| fail("no document"))?;
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts)
        .map_err(|_| fail("the browser refused to make a file"))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| fail("no object URL"))?;
    let a =
        doc.create_element("a").map_err(|_| fail("no link element"))?.unchecked_into::<web_sys::HtmlAnchorElement>();
    a.set_href(&url);
    a.set_download(filename);
    a.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}
