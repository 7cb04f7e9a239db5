mod accounts;
mod catalogue_av;
mod catalogue_mr;
mod health_parity;
mod oracles;
mod tokens;
