//! `zhengce user add`: create an account (admin, officer, or an enterprise bound to its credit code);
//! staff may get a department (`--department`) and the dispatch permission for requests (`--dispatch`).

use std::io::BufRead as _;

use zhengce_model::clock::Clock as _;
use zhengce_store::accounts::{NewUser, Role, random_secret};

use crate::clock::SystemClock;
use crate::exit::bad_input;

/// `zhengce user …`.
#[derive(clap::Subcommand, Debug)]
pub enum UserCommand {
    /// Create an account; the password is read from stdin with `--password-stdin`, otherwise a
    /// random one is generated and printed once.
    Add(AddArgs),
}

/// Flags of `zhengce user add`.
#[derive(clap::Args, Debug)]
pub struct AddArgs {
    /// Login name.
    name: String,
    /// `admin`, `officer` or `enterprise`.
    #[arg(long)]
    role: String,
    /// The credit code an enterprise account is bound to.
    #[arg(long, value_name = "CREDIT_CODE")]
    enterprise: Option<String>,
    /// The department a staff member works for (handles the requests dispatched to it), e.g. 人力资源和社会保障局.
    #[arg(long)]
    department: Option<String>,
    /// Give a staff member the dispatch permission (派单) for enterprise requests.
    #[arg(long)]
    dispatch: bool,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    password_stdin: bool,
    /// The store (default: ./data/zhengce.db).
    #[arg(long, env = "ZHENGCE_DB")]
    db: Option<String>,
}

/// Runs `zhengce user …`.
pub fn run(cmd: &UserCommand) -> anyhow::Result<i32> {
    match cmd {
        UserCommand::Add(a) => add(a),
    }
}

fn add(args: &AddArgs) -> anyhow::Result<i32> {
    let role: Role = args.role.parse().map_err(bad_input)?;
    if let Some(code) = &args.enterprise
        && let Err(e) = zhengce_model::uscc::validate(code)
    {
        return Err(bad_input(format!("--enterprise {code} 不是有效的统一社会信用代码：{e}")));
    }
    let (password, generated) = if args.password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        (line.trim_end_matches(['\r', '\n']).to_string(), false)
    } else {
        (random_secret()?.chars().take(16).collect(), true)
    };
    let url = args.db.clone().unwrap_or_else(zhengce_store::default_db_url);
    let rt = tokio::runtime::Runtime::new()?;
    let user = rt.block_on(async {
        let store = zhengce_store::Store::open(&url).await.map_err(|e| bad_input(format!("无法打开企业库 {url}：{e}")))?;
        let new = NewUser {
            name: &args.name,
            role,
            enterprise: args.enterprise.as_deref(),
            password: &password,
            department: args.department.as_deref(),
            can_dispatch: args.dispatch,
        };
        let user = store
            .add_user(&new, "cli:user-add", SystemClock.now_ms())
            .await
            .map_err(|e| if e.is_user_error() { bad_input(e.to_string()) } else { anyhow::Error::new(e) })?;
        store.close().await;
        Ok::<_, anyhow::Error>(user)
    })?;
    let mut out = format!("已创建{}账号 {}", user.role.label(), user.name);
    if let Some(e) = &user.enterprise {
        out.push_str(&format!("（绑定企业 {e}）"));
    }
    if let Some(d) = &user.department {
        out.push_str(&format!("（部门：{d}）"));
    }
    if user.can_dispatch {
        out.push_str("（可派单）");
    }
    if generated {
        out.push_str(&format!("\n密码：{password}（只显示这一次）"));
    }
    crate::out::line(&out);
    Ok(0)
}
