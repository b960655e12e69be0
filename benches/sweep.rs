//! Sweep throughput: a 12-point grid × 2 replications of `steady` on a 1-hour
//! trace (~216 k requests per run), all cores. Criterion reports points per
//! second ("elements/s"); each iteration starts from an empty directory.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use meshsim::billing::PriceBook;
use meshsim::engine::ArrivalProcess;
use meshsim::sweep::{SweepSpec, parse_axis, run};
use meshsim::trace::r#gen::{GenSpec, Pattern, generate, write_csv};

fn bench(c: &mut Criterion) {
    let tmp = std::env::temp_dir().join(format!("meshsim-sweep-bench-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let trace = tmp.join("t.csv");
    let rows = generate(&GenSpec {
        pattern: Pattern::Spike,
        mean_rps: 60.0,
        peak_rps: None,
        duration_s: 3600.0,
        interval_s: 60.0,
        seed: 1,
        start: "2025-11-28T05:00:00Z".parse().unwrap(),
        noise: 0.03,
    })
    .unwrap();
    write_csv(std::fs::File::create(&trace).unwrap(), &rows).unwrap();
    let spec = SweepSpec {
        scenario: "steady".into(),
        trace,
        axes: vec![
            parse_axis("scaling.min=1..6:1").unwrap(),
            parse_axis("scaling.max=6").unwrap(),
            parse_axis("service.concurrency=4,8").unwrap(),
        ],
        base_sets: Vec::new(),
        env: Vec::new(),
        replications: 2,
        seed: 1,
        arrivals: ArrivalProcess::Poisson,
        shard: None,
        judge: None,
        force: false,
        subset: None,
        charts: false,
        mode: Default::default(),
    };
    let book = PriceBook::builtin();
    let mut g = c.benchmark_group("sweep");
    g.sample_size(10);
    g.throughput(Throughput::Elements(12));
    let mut i = 0u64;
    g.bench_function("steady_12_points_x2", |b| {
        b.iter(|| {
            i += 1;
            let dir = tmp.join(format!("run-{i}"));
            let r = run(&spec, &dir, &book).unwrap();
            std::fs::remove_dir_all(&dir).unwrap();
            r.computed
        })
    });
    g.finish();
    let _ = std::fs::remove_dir_all(&tmp);
}

criterion_group!(benches, bench);
criterion_main!(benches);
