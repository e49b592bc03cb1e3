//! Leaf components: they get values and `Callback` props and hold no model state.

pub mod about;
pub mod modal;
pub mod nav_link;
pub mod page_header;
pub mod theme_toggle;

pub use modal::Modal;
pub use page_header::PageHeader;
