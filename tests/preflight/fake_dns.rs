//! A DNS server on loopback that answers from a table the test writes: A records, CNAMEs
//! (followed, as a recursive resolver answers), NXDOMAIN for the rest, or no answer at all.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::rdata::{A, CNAME};
use hickory_proto::rr::{Name, RData, Record, RecordType};

#[derive(Debug, Clone)]
pub enum Answer {
    A(Vec<Ipv4Addr>),
    Cname(&'static str),
    /// Never answers (a name server that drops the query).
    Silent,
}

pub struct FakeDns {
    pub address: SocketAddr,
    stop: Arc<AtomicBool>,
}

impl FakeDns {
    pub fn start(table: &[(&'static str, Answer)]) -> FakeDns {
        let table: HashMap<String, Answer> = table
            .iter()
            .map(|(n, a)| (n.to_string(), a.clone()))
            .collect();
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let address = socket.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while !stopped.load(Ordering::Relaxed) {
                let Ok((len, from)) = socket.recv_from(&mut buffer) else {
                    continue;
                };
                let Ok(query) = Message::from_vec(&buffer[..len]) else {
                    continue;
                };
                if let Some(reply) = answer(&table, &query) {
                    let _ = socket.send_to(&reply.to_vec().unwrap(), from);
                }
            }
        });
        FakeDns { address, stop }
    }
}

impl Drop for FakeDns {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn answer(table: &HashMap<String, Answer>, query: &Message) -> Option<Message> {
    let question = query.queries.first()?.clone();
    let mut reply = Message::response(query.metadata.id, query.metadata.op_code);
    reply.metadata.recursion_desired = query.metadata.recursion_desired;
    reply.metadata.recursion_available = true;
    reply.add_query(question.clone());
    let mut name = question
        .name()
        .to_string()
        .trim_end_matches('.')
        .to_ascii_lowercase();
    for _ in 0..8 {
        match table.get(&name) {
            None => {
                if reply.answers.is_empty() {
                    reply.metadata.response_code = ResponseCode::NXDomain;
                }
                return Some(reply);
            }
            Some(Answer::Silent) => return None,
            Some(Answer::Cname(target)) => {
                let rdata = RData::CNAME(CNAME(Name::from_ascii(format!("{target}.")).unwrap()));
                reply.add_answer(Record::from_rdata(
                    Name::from_ascii(format!("{name}.")).unwrap(),
                    60,
                    rdata,
                ));
                name = target.to_string();
            }
            Some(Answer::A(addresses)) => {
                if question.query_type() == RecordType::A {
                    for ip in addresses {
                        reply.add_answer(Record::from_rdata(
                            Name::from_ascii(format!("{name}.")).unwrap(),
                            60,
                            RData::A(A(*ip)),
                        ));
                    }
                }
                return Some(reply);
            }
        }
    }
    Some(reply)
}
