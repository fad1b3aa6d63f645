//! The startup benchmark's reference: the same Tauri, one window, one static page, no store.
//! It prints the milliseconds from process start to its page having loaded, as the app does
//! for its first screen, so the two are measured the same way.

fn main() {
    let started = std::time::Instant::now();
    let report = std::env::var_os("MINGCHA_REPORT_READY").is_some();
    let result = tauri::Builder::default()
        .on_page_load(move |_, payload| {
            if report && matches!(payload.event(), tauri::webview::PageLoadEvent::Finished) {
                println!("ready {} ms", started.elapsed().as_millis());
            }
        })
        .run(tauri::generate_context!("bare/tauri.conf.json"));
    if let Err(e) = result {
        eprintln!("bare-window: {e}");
        std::process::exit(1);
    }
}
