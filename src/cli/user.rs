//! `larch user …`: the accounts that read private lists. Passwords are read from standard
//! input when it is not a terminal (scripts, `printf … |`), else prompted twice without
//! echo; only their argon2id hash is stored.

use std::io::{BufRead, IsTerminal};
use std::path::Path;
use std::process::ExitCode;

use clap::Subcommand;

use crate::config::WriteLock;
use crate::domain::secret;

#[derive(Subcommand)]
pub enum UserAction {
    /// Add a user (password on standard input, or prompted).
    Add {
        name: String,
        /// The user reads every list.
        #[arg(long)]
        admin: bool,
    },
    /// Set a user's password (and end their sessions).
    Passwd { name: String },
    /// Let a user read these private lists.
    Grant {
        name: String,
        #[arg(required = true)]
        lists: Vec<String>,
    },
    /// Take back lists granted.
    Revoke {
        name: String,
        #[arg(required = true)]
        lists: Vec<String>,
    },
    /// Let a user read every list (`--off` to stop).
    Admin {
        name: String,
        #[arg(long)]
        off: bool,
    },
    /// Remove a user, their grants and sessions.
    Del { name: String },
    /// Show the users, what they read, their open sessions.
    List,
    /// Print a new secret for the user's feed reader (private feeds take it as
    /// `?feed=SECRET`); the previous one stops working. `--revoke` only revokes.
    FeedToken {
        name: String,
        #[arg(long)]
        revoke: bool,
    },
}

/// Longest user name: names appear in pages and logs.
const MAX_NAME: usize = 64;

fn check_name(name: &str) -> anyhow::Result<()> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@' | '+'));
    if ok {
        Ok(())
    } else {
        anyhow::bail!(
            "{name:?} cannot be a user name: up to {MAX_NAME} letters, digits and . _ - @ +"
        )
    }
}

/// The new password: one line of standard input, or typed twice at a terminal.
fn read_password() -> anyhow::Result<String> {
    let password = if std::io::stdin().is_terminal() {
        let a = rpassword::prompt_password("Password: ")?;
        let b = rpassword::prompt_password("Again: ")?;
        if a != b {
            anyhow::bail!("the two passwords differ; nothing changed");
        }
        a
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_string()
    };
    if password.is_empty() {
        anyhow::bail!("an empty password; nothing changed");
    }
    if password.len() > secret::MAX_PASSWORD {
        anyhow::bail!(
            "a password longer than {} bytes; nothing changed",
            secret::MAX_PASSWORD
        );
    }
    Ok(password)
}

pub async fn run(data: &Path, action: UserAction) -> anyhow::Result<ExitCode> {
    if let UserAction::List = action {
        let store = crate::config::open_store(data).await?;
        println!(
            "{:<24} {:<6} {:>8} {:<5} lists",
            "user", "admin", "sessions", "feed"
        );
        for u in store.users().await? {
            println!(
                "{:<24} {:<6} {:>8} {:<5} {}",
                u.name,
                if u.admin { "yes" } else { "no" },
                u.sessions,
                if u.feed_token { "yes" } else { "no" },
                u.lists.join(" ")
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let _lock = WriteLock::acquire(data)?;
    let store = crate::config::open_store(data).await?;
    let missing = |name: &str| anyhow::anyhow!("there is no user named {name:?}");
    match action {
        UserAction::List => {}
        UserAction::Add { name, admin } => {
            check_name(&name)?;
            let hash = secret::hash_password(&read_password()?).map_err(anyhow::Error::msg)?;
            if !store.add_user(&name, &hash, admin).await? {
                anyhow::bail!("there is a user named {name:?} already (`larch user passwd`)");
            }
            println!(
                "added user {name}{}",
                if admin { " (reads every list)" } else { "" }
            );
        }
        UserAction::Passwd { name } => {
            let hash = secret::hash_password(&read_password()?).map_err(anyhow::Error::msg)?;
            if !store.set_password(&name, &hash).await? {
                return Err(missing(&name));
            }
            println!("password of {name} changed; their sessions ended");
        }
        UserAction::Grant { name, lists } => store.set_grants(&name, &lists, true).await?,
        UserAction::Revoke { name, lists } => store.set_grants(&name, &lists, false).await?,
        UserAction::Admin { name, off } => {
            if !store.set_admin(&name, !off).await? {
                return Err(missing(&name));
            }
        }
        UserAction::Del { name } => {
            if !store.delete_user(&name).await? {
                return Err(missing(&name));
            }
            println!("removed user {name}, their grants and sessions");
        }
        UserAction::FeedToken { name, revoke } => {
            let token = if revoke {
                None
            } else {
                Some(secret::new_token().map_err(anyhow::Error::msg)?)
            };
            let hash = token.as_deref().map(secret::token_hash);
            if !store.set_feed_token(&name, hash.as_deref()).await? {
                return Err(missing(&name));
            }
            match token {
                Some(t) => println!("{t}"),
                None => println!("feed token of {name} revoked"),
            }
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}
