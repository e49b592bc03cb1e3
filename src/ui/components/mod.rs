//! Leaf components: they get values and `Callback` props and hold no model state.

pub mod about;
pub mod chart;
pub mod controls_bar;
pub mod modal;
pub mod nav_link;
pub mod page_header;
pub mod param_notices;
pub mod theme_toggle;

pub use modal::Modal;
pub use page_header::PageHeader;
pub use controls_bar::ControlsBar;
pub use param_notices::ParamNotices;
pub use chart::{Histogram, Legend, LineChart, Series};
