use anchor_lang::prelude::*;
pub mod risk;
declare_id!("3tfEkPsD98rzfgvUgPsg5nC3bfBMVUWibKNbrhwKXh3k");
#[program]
pub mod ballast {}
