//! `cargo bench --locked -p ballast-sdk --bench health`: the conversion, the engine, the loader,
//! the full path and the sweep, timed (a plain binary, no assertions: regressions show in numbers).
//! `-- <filter>` runs the measurements whose name contains the filter.

use std::hint::black_box;

use ballast::risk::num::oracle_price;
use ballast::risk::{health, HealthType};
use ballast_sdk::synthetic::timing::{full_path, full_path_options, million, rates, sweep_core, NOW};
use ballast_sdk::synthetic::{Market, SHAPES};

fn main() {
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-')).unwrap_or_default();
    let on = |name: &str| name.contains(&filter);
    let (rounds, secs) = (5, 0.5);
    if on("conversion") {
        // Pyth-like quotes: mantissas of 1 to 18 digits, exponents -12..=-2, 0 to 12 decimals.
        let quotes: Vec<(u64, u64, i32, u8)> = (0..1024u64)
            .map(|i| {
                let m = 10u64.pow((i % 18) as u32 + 1) - 1 + i;
                (m, m / 1000, -2 - (i % 11) as i32, (i % 13) as u8)
            })
            .collect();
        let r = rates(rounds, secs, quotes.len() as u64, || {
            for &(m, c, e, d) in &quotes {
                black_box(oracle_price(black_box(m), c, e, 6, d));
            }
        });
        println!("conversion (price and confidence of one quote): {r} /s");
    }
    for shape in SHAPES {
        let m = Market::new(16, NOW);
        let acc = m.account(shape, 0);
        let raws = m.health_accounts(&acc);
        if on("loader") {
            let r = rates(rounds, secs, 1, || {
                black_box(ballast_sdk::health::load(&m.group, &acc, &[], &raws, NOW).expect("load"));
            });
            println!("loader, {}: {r} /s", shape.label());
        }
        if on("engine") {
            let loaded = ballast_sdk::health::load(&m.group, &acc, &[], &raws, NOW).expect("load");
            let input = loaded.health_input(&acc).expect("input");
            let r = rates(rounds, secs, 1, || {
                black_box(health(black_box(&input), HealthType::Init).expect("health"));
            });
            println!("engine (Init health of a built input), {}: {r} /s", shape.label());
        }
        if on("full") {
            println!("full path from raw bytes, {}: {} /s", shape.label(), full_path(shape, rounds, secs));
        }
        if on("sweep") {
            println!("sweep on one core, cached book, {}: {} /s", shape.label(), sweep_core(shape, rounds, secs));
        }
    }
    if on("options") {
        // 14 tokens + 8 perps + 8 options on 14 underlyings (`synthetic::with_options`).
        let m = Market::new(16, NOW);
        let mut acc = m.account(ballast_sdk::synthetic::Shape { tokens: 14, perps: 8 }, 0);
        ballast_sdk::synthetic::with_options(&mut acc, 8, NOW);
        let raws = m.health_accounts(&acc);
        let loaded = ballast_sdk::health::load(&m.group, &acc, &[], &raws, NOW).expect("load");
        let input = loaded.health_input(&acc).expect("input");
        for t in [HealthType::Init, HealthType::Maint] {
            let r = rates(rounds, secs, 1, || {
                black_box(health(black_box(&input), t).expect("health"));
            });
            println!("engine with 8 options ({t:?} health of a built input): {r} /s");
        }
        println!("full path from raw bytes with 8 options (Init): {} /s", full_path_options(rounds, secs));
    }
    if on("million") {
        let (s, w) = million(1_000_000, 3);
        println!("sweep of 1,000,000 accounts on {w} workers: {s} s");
    }
}
