mod accounts;
mod catalogue_av;
mod catalogue_mr;
mod health_parity;
mod lending;
mod migrate;
mod oracles;
mod tokens;
