//! Physical actions on a real unit, carried out by the profile's operator
//! hooks: a command to run (a smart plug, a relay board, a script), or a
//! prompt the operator answers at the terminal.
//!
//! A prompt needs someone at the terminal: in a run whose stdin is not a
//! terminal, a prompt hook (or a missing hook) fails with a reason, and the
//! steps make the affected test cases INCONCLUSIVE.

use std::io::IsTerminal;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt};

use crate::device::PhysicalActions;
use crate::profile::{Hook, OperatorHooks};

/// How long a command hook may run when the profile does not say.
pub const DEFAULT_HOOK_TIMEOUT: Duration = Duration::from_secs(120);

/// Most output kept from each of a command's stdout and stderr.
const OUTPUT_LIMIT: usize = 16 * 1024;

/// A physical action an operator hook can carry out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhysicalAction {
    FactoryReset,
    PowerCycle,
    CutUplink,
    RestoreUplink,
}

impl PhysicalAction {
    /// The hook's name in the profile.
    pub fn name(self) -> &'static str {
        match self {
            PhysicalAction::FactoryReset => "factory_reset",
            PhysicalAction::PowerCycle => "power_cycle",
            PhysicalAction::CutUplink => "cut_uplink",
            PhysicalAction::RestoreUplink => "restore_uplink",
        }
    }

    fn hook(self, hooks: &OperatorHooks) -> Option<&Hook> {
        match self {
            PhysicalAction::FactoryReset => hooks.factory_reset.as_ref(),
            PhysicalAction::PowerCycle => hooks.power_cycle.as_ref(),
            PhysicalAction::CutUplink => hooks.cut_uplink.as_ref(),
            PhysicalAction::RestoreUplink => hooks.restore_uplink.as_ref(),
        }
    }

    /// What to ask the operator when the profile has no hook for this.
    fn default_prompt(self) -> &'static str {
        match self {
            PhysicalAction::FactoryReset => {
                "Reset the device under test to factory settings and wait until it is back on the network."
            }
            PhysicalAction::PowerCycle => {
                "Switch the device under test off and on again and wait until it is back on the network."
            }
            PhysicalAction::CutUplink => {
                "Disconnect the device's uplink (internet access), leaving the local network up."
            }
            PhysicalAction::RestoreUplink => "Reconnect the device's uplink (internet access).",
        }
    }
}

/// What a hook did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookReport {
    pub action: PhysicalAction,
    /// The command line run, or `operator`.
    pub how: String,
    /// The command's trimmed output (stdout then stderr), if any.
    pub output: String,
    pub duration: Duration,
}

/// Why a hook did not carry out its action.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HookError {
    #[error("no operator hook for {action} in the profile; run interactively or add one")]
    Missing { action: &'static str },
    #[error(
        "the {action} hook asks the operator, but this run is not interactive (stdin is not a terminal); run interactively or make the hook a command"
    )]
    NotInteractive { action: &'static str },
    #[error("the {action} hook has an empty command")]
    EmptyCommand { action: &'static str },
    #[error("the {action} hook `{command}` could not start: {detail}")]
    Spawn {
        action: &'static str,
        command: String,
        detail: String,
    },
    #[error("the {action} hook `{command}` did not finish within {} s and was killed", .after.as_secs())]
    Timeout {
        action: &'static str,
        command: String,
        after: Duration,
    },
    #[error("the {action} hook `{command}` failed ({status}){}", show_output(.output))]
    Failed {
        action: &'static str,
        command: String,
        status: String,
        output: String,
    },
    #[error("the operator declined {action}")]
    Declined { action: &'static str },
    #[error("cannot read the operator's answer for {action}: {detail}")]
    Operator {
        action: &'static str,
        detail: String,
    },
}

fn show_output(output: &str) -> String {
    if output.is_empty() {
        String::new()
    } else {
        format!(": {output}")
    }
}

/// [`PhysicalActions`] from a profile's operator hooks.
#[derive(Debug)]
pub struct HookActions {
    hooks: OperatorHooks,
    /// The device the hooks act on (`net:<host>`), given to commands as
    /// `IOTMARK_DEVICE` and `IOTMARK_HOST`.
    device: Option<String>,
    interactive: bool,
    /// One prompt at a time on the terminal.
    prompt_lock: tokio::sync::Mutex<()>,
}

impl HookActions {
    /// Hooks from the profile; prompts are allowed when stdin is a terminal.
    pub fn from_profile(hooks: &OperatorHooks) -> Self {
        HookActions {
            hooks: hooks.clone(),
            device: None,
            interactive: std::io::stdin().is_terminal(),
            prompt_lock: tokio::sync::Mutex::new(()),
        }
    }

    /// The unit the hooks act on. A command hook then finds its spec in
    /// `IOTMARK_DEVICE` (`net:192.0.2.10`) and the host alone in
    /// `IOTMARK_HOST`, so one profile's hook can serve a fleet of units (a
    /// relay channel or a smart plug per host); a prompt names the unit.
    pub fn for_device(mut self, spec: &str) -> Self {
        self.device = Some(spec.to_string());
        self
    }

    /// Override whether prompts may be shown (a `--no-prompt` flag, tests).
    pub fn interactive(mut self, interactive: bool) -> Self {
        self.interactive = interactive;
        self
    }

    /// Carry out `action` with its hook; without one, ask the operator when
    /// the run is interactive.
    pub async fn perform(&self, action: PhysicalAction) -> Result<HookReport, HookError> {
        let started = Instant::now();
        let name = action.name();
        match action.hook(&self.hooks) {
            Some(Hook::Command {
                command,
                timeout_seconds,
            }) => {
                let limit = timeout_seconds
                    .map(Duration::from_secs)
                    .unwrap_or(DEFAULT_HOOK_TIMEOUT);
                let output = run_command(name, command, limit, self.device.as_deref()).await?;
                Ok(HookReport {
                    action,
                    how: command.join(" "),
                    output,
                    duration: started.elapsed(),
                })
            }
            Some(Hook::Prompt { prompt }) => {
                if !self.interactive {
                    return Err(HookError::NotInteractive { action: name });
                }
                self.ask(name, prompt).await?;
                Ok(HookReport {
                    action,
                    how: "operator".into(),
                    output: String::new(),
                    duration: started.elapsed(),
                })
            }
            None => {
                if !self.interactive {
                    return Err(HookError::Missing { action: name });
                }
                self.ask(name, action.default_prompt()).await?;
                Ok(HookReport {
                    action,
                    how: "operator".into(),
                    output: String::new(),
                    duration: started.elapsed(),
                })
            }
        }
    }

    /// Show `prompt` on stderr and wait for Enter; `skip` (or `n`) declines.
    async fn ask(&self, action: &'static str, prompt: &str) -> Result<(), HookError> {
        let _one_at_a_time = self.prompt_lock.lock().await;
        let unit = self
            .device
            .as_deref()
            .map(|d| format!(" {d}:"))
            .unwrap_or_default();
        eprint!(
            "\n[iotmark]{unit} {prompt}\n          Press Enter when done, or type 'skip' to decline: "
        );
        let read = tokio::task::spawn_blocking(|| {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).map(|n| (n, line))
        })
        .await;
        let operator_error = |detail: String| HookError::Operator { action, detail };
        match read {
            Err(e) => Err(operator_error(e.to_string())),
            Ok(Err(e)) => Err(operator_error(e.to_string())),
            Ok(Ok((0, _))) => Err(operator_error("stdin closed".into())),
            Ok(Ok((_, line))) => {
                let answer = line.trim().to_ascii_lowercase();
                if matches!(answer.as_str(), "skip" | "s" | "no" | "n") {
                    Err(HookError::Declined { action })
                } else {
                    Ok(())
                }
            }
        }
    }
}

/// Run `argv` (no shell), killing it after `limit`; Ok with the trimmed output
/// on exit status 0.
async fn run_command(
    action: &'static str,
    argv: &[String],
    limit: Duration,
    device: Option<&str>,
) -> Result<String, HookError> {
    let Some((program, args)) = argv.split_first() else {
        return Err(HookError::EmptyCommand { action });
    };
    let command = argv.join(" ");
    let mut command_line = tokio::process::Command::new(program);
    if let Some(spec) = device {
        let host = spec.strip_prefix("net:").unwrap_or(spec);
        command_line
            .env("IOTMARK_DEVICE", spec)
            .env("IOTMARK_HOST", host);
    }
    let mut child = command_line
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| HookError::Spawn {
            action,
            command: command.clone(),
            detail: e.to_string(),
        })?;
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let finished = tokio::time::timeout(limit, async {
        let (out, err, status) =
            tokio::join!(read_capped(stdout), read_capped(stderr), child.wait());
        (out, err, status)
    })
    .await;
    let (out, err, status) = match finished {
        Ok(done) => done,
        Err(_) => {
            // Only the direct child is killed; a command that forks should
            // take its children down itself.
            let _ = child.start_kill();
            let _ = tokio::time::timeout(Duration::from_secs(2), child.wait()).await;
            return Err(HookError::Timeout {
                action,
                command,
                after: limit,
            });
        }
    };
    let output = [out.trim(), err.trim()]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("\n");
    match status {
        Ok(status) if status.success() => Ok(output),
        Ok(status) => Err(HookError::Failed {
            action,
            command,
            status: status.to_string(),
            output,
        }),
        Err(e) => Err(HookError::Failed {
            action,
            command,
            status: format!("cannot wait for it: {e}"),
            output,
        }),
    }
}

/// Read a pipe to its end, keeping the first [`OUTPUT_LIMIT`] bytes.
async fn read_capped(pipe: Option<impl AsyncRead + Unpin>) -> String {
    let Some(mut pipe) = pipe else {
        return String::new();
    };
    let mut kept = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match pipe.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = OUTPUT_LIMIT.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
            }
        }
    }
    String::from_utf8_lossy(&kept).into_owned()
}

#[async_trait::async_trait]
impl PhysicalActions for HookActions {
    async fn factory_reset(&self) -> Result<(), String> {
        self.perform(PhysicalAction::FactoryReset)
            .await
            .map(|report| tracing::info!(how = %report.how, output = %report.output, "factory reset done"))
            .map_err(|e| e.to_string())
    }

    async fn power_cycle(&self) -> Result<(), String> {
        self.perform(PhysicalAction::PowerCycle)
            .await
            .map(|report| tracing::info!(how = %report.how, output = %report.output, "power cycle done"))
            .map_err(|e| e.to_string())
    }

    async fn cut_uplink(&self) -> Result<(), String> {
        self.perform(PhysicalAction::CutUplink)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    async fn restore_uplink(&self) -> Result<(), String> {
        self.perform(PhysicalAction::RestoreUplink)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn command(argv: &[&str]) -> Option<Hook> {
        Some(Hook::Command {
            command: argv.iter().map(|s| s.to_string()).collect(),
            timeout_seconds: Some(5),
        })
    }

    #[tokio::test]
    async fn a_command_hook_is_told_which_unit_it_acts_on() {
        let hooks = OperatorHooks {
            power_cycle: command(&[
                "sh",
                "-c",
                r#"test "$IOTMARK_DEVICE" = net:192.0.2.7 && test "$IOTMARK_HOST" = 192.0.2.7"#,
            ]),
            factory_reset: command(&["sh", "-c", "exit 3"]),
            ..OperatorHooks::default()
        };
        let actions = HookActions::from_profile(&hooks)
            .interactive(false)
            .for_device("net:192.0.2.7");
        let done = actions.perform(PhysicalAction::PowerCycle).await.unwrap();
        assert_eq!(done.action, PhysicalAction::PowerCycle);
        let failed = actions.perform(PhysicalAction::FactoryReset).await;
        assert!(
            matches!(failed, Err(HookError::Failed { .. })),
            "{failed:?}"
        );
        let missing = actions.perform(PhysicalAction::CutUplink).await;
        assert_eq!(
            missing.unwrap_err(),
            HookError::Missing {
                action: "cut_uplink"
            }
        );
    }
}
