//! MQTT brokers on the product: one the manufacturer declares guarded by an
//! authentication mechanism must not let a client in without credentials,
//! let alone hand it every topic (`#`).

use iotmark_adapters::device::MqttReport;
use iotmark_adapters::profile::Protocol;

use super::communication::guarded;
use super::{step, StepDef};
use crate::world::{StepError, StepResult, World};

pub fn defs() -> Vec<StepDef> {
    vec![
        step!(
            r"the product's MQTT interfaces that a declared authentication mechanism guards",
            guarded_brokers_declared
        ),
        step!(
            r"none of them accepts a client that connects without credentials and subscribes to every topic",
            no_anonymous_clients
        ),
    ]
}

/// One declared broker: interface name, port, over TLS.
struct Broker {
    name: String,
    port: u16,
    tls: bool,
}

fn guarded_brokers(w: &World) -> Vec<Broker> {
    w.profile()
        .ixit
        .interfaces
        .iter()
        .filter(|i| i.enabled && guarded(w, &i.name))
        .filter_map(|i| {
            match i.protocol {
                Protocol::Mqtt => Some(false),
                Protocol::Mqtts => Some(true),
                _ => None,
            }
            .map(|tls| Broker {
                name: i.name.clone(),
                port: i.port,
                tls,
            })
        })
        .collect()
}

async fn guarded_brokers_declared(w: &mut World, _: Vec<String>) -> StepResult {
    let brokers = guarded_brokers(w);
    if brokers.is_empty() {
        return Err(StepError::NotApplicable(
            "no enabled MQTT interface is declared guarded by an authentication mechanism".into(),
        ));
    }
    let tls: Vec<String> = brokers
        .iter()
        .filter(|b| b.tls)
        .map(|b| format!("{} (port {})", b.name, b.port))
        .collect();
    if !tls.is_empty() {
        // The anonymous probe speaks plain MQTT only.
        return Err(StepError::Inconclusive(format!(
            "MQTT over TLS is not probed for anonymous access: {}",
            tls.join(", ")
        )));
    }
    w.note(format!(
        "{} guarded MQTT interface(s) declared",
        brokers.len()
    ));
    Ok(())
}

/// What an accepted anonymous client got, in words.
fn what_it_got(report: &MqttReport) -> String {
    match report {
        MqttReport::Accepted {
            subscribed,
            messages,
            topics,
            ..
        } => {
            let mut got = vec!["accepted it (CONNACK 0)".to_owned()];
            match subscribed {
                Some(true) => got.push("granted a subscription to every topic ('#')".into()),
                Some(false) => got.push("refused the subscription to '#'".into()),
                None => got.push("did not answer the subscription to '#'".into()),
            }
            if *messages > 0 {
                got.push(format!(
                    "delivered {messages} message(s) on {}",
                    topics.join(", ")
                ));
            }
            got.join(", ")
        }
        MqttReport::Refused { code, reason } => format!("refused it (CONNACK {code}: {reason})"),
    }
}

async fn no_anonymous_clients(w: &mut World, _: Vec<String>) -> StepResult {
    let brokers = guarded_brokers(w);
    if brokers.is_empty() {
        // The Given step makes this scenario not applicable first.
        return Err(StepError::NotApplicable(
            "no guarded MQTT interface is declared".into(),
        ));
    }
    let mut open = Vec::new();
    let mut refused = Vec::new();
    for b in &brokers {
        let report = w
            .ctx
            .device
            .mqtt_anonymous(&w.ev, b.port)
            .await
            .map_err(|e| {
                StepError::Inconclusive(format!(
                    "the anonymous MQTT probe of {} (port {}) failed: {e}",
                    b.name, b.port
                ))
            })?;
        let line = format!(
            "the broker of {} (port {}) {}",
            b.name,
            b.port,
            what_it_got(&report)
        );
        if report.accepts_anonymous() {
            open.push(line);
        } else {
            refused.push(line);
        }
    }
    if !open.is_empty() {
        return Err(StepError::Fail(format!(
            "a client without credentials got in although the interface is declared guarded: {}",
            open.join("; ")
        )));
    }
    w.note(refused.join("; "));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_accepted_client_is_described_with_what_it_got() {
        let open = MqttReport::Accepted {
            subscribed: Some(true),
            messages: 2,
            topics: vec!["cam/status".into()],
            truncated: false,
        };
        assert_eq!(
            what_it_got(&open),
            "accepted it (CONNACK 0), granted a subscription to every topic ('#'), delivered 2 message(s) on cam/status"
        );
        let closed = MqttReport::Refused {
            code: 5,
            reason: "not authorised".into(),
        };
        assert_eq!(
            what_it_got(&closed),
            "refused it (CONNACK 5: not authorised)"
        );
    }
}
