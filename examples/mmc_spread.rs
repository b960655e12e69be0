use meshsim::engine::{SimConfig, simulate};
use meshsim::model::service::ServiceDist;
use meshsim::trace::TraceRow;
fn main() {
    let args: Vec<f64> = std::env::args()
        .skip(1)
        .map(|a| a.parse().unwrap())
        .collect();
    let (c, rho, n) = (args[0] as u32, args[1], args[2]);
    let mu = 20.0;
    let lambda = rho * c as f64 * mu;
    let span = (n / lambda) as u64;
    let a = lambda / mu;
    let mut term = 1.0;
    let mut sum = 0.0;
    for k in 0..c {
        sum += term;
        term *= a / (k + 1) as f64;
    }
    let top = term * c as f64 / (c as f64 - a);
    let pc = top / (sum + top);
    let wq = pc / (c as f64 * mu - lambda) * 1e3;
    let mut errs = vec![];
    for seed in 0..8 {
        let cfg = SimConfig::fixed_pool(c, 1, ServiceDist::Exponential { mean_us: 50_000.0 }, span);
        let t = std::time::Instant::now();
        let s = simulate(
            cfg,
            vec![TraceRow {
                t_us: 0,
                value: lambda,
                service_us: None,
                tokens_in: None,
                tokens_out: None,
                session: None,
                region: None,
            }]
            .into_iter(),
            seed,
        )
        .summary;
        let e = s.wait_mean_ms.unwrap() / wq - 1.0;
        let ep = s.wait_probability.unwrap() / pc - 1.0;
        println!(
            "seed {seed}: Wq err {:+.2}% P err {:+.2}%  ({:.1} M req/s)",
            e * 100.0,
            ep * 100.0,
            s.requests_arrived as f64 / t.elapsed().as_secs_f64() / 1e6
        );
        errs.push(e);
    }
    let m = errs.iter().sum::<f64>() / 8.0;
    let sd = (errs.iter().map(|e| (e - m).powi(2)).sum::<f64>() / 7.0).sqrt();
    println!("mean err {:+.2}%, sd {:.2}%", m * 100.0, sd * 100.0);
}
