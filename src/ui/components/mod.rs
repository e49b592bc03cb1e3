//! Leaf components: they get values and `Callback` props and hold no model state.

pub mod about;
pub mod chart;
pub mod controls_bar;
pub mod modal;
pub mod nav_link;
pub mod page_header;
pub mod param_notices;
pub mod replay_panel;
pub mod scrubber;
pub mod theme_toggle;

pub use chart::{Histogram, Legend, LineChart, Series};
pub use controls_bar::ControlsBar;
pub use modal::Modal;
pub use page_header::PageHeader;
pub use param_notices::ParamNotices;
pub use replay_panel::ReplayPanel;
pub use scrubber::{RewindCommand, Scrubber, ScrubberState};
