//! Free TCP ports on 127.0.0.1, and recognising the race in which someone else takes one first.

use std::net::{Ipv4Addr, TcpListener};

use crate::LaunchError;

/// A port that was free on 127.0.0.1 a moment ago.
///
/// The kernel picks it when we bind port 0; the listener is closed before the server binds the port, so another
/// process can take it in between. Launchers retry with a new port when [`collision_logged`] says so.
pub(crate) fn free_port() -> Result<u16, LaunchError> {
    let bind_error = |error| LaunchError::io("bind a free port on", "127.0.0.1:0", error);
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(bind_error)?;
    listener
        .local_addr()
        .map(|address| address.port())
        .map_err(bind_error)
}

/// Whether a server's log says it could not bind its port because another process holds it.
///
/// PostgreSQL, MariaDB and Werkzeug (moto) all print the `strerror` text of `EADDRINUSE`.
pub(crate) fn collision_logged(log: &str) -> bool {
    let log = log.to_ascii_lowercase();
    log.contains("address already in use") || log.contains("is in use by another program")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_port_can_be_bound() {
        let port = free_port().unwrap();

        assert_ne!(port, 0);
        TcpListener::bind((Ipv4Addr::LOCALHOST, port)).unwrap();
    }

    #[test]
    fn collisions_are_recognised_in_each_servers_words() {
        let postgres = "LOG:  could not bind IPv4 address \"127.0.0.1\": Address already in use";
        let mariadb =
            "[ERROR] Can't start server: Bind on TCP/IP port. Got error: 98: Address already in use";
        let moto = "Port 5000 is in use by another program. Either identify and stop that program, or ...";

        assert!(collision_logged(postgres));
        assert!(collision_logged(mariadb));
        assert!(collision_logged(moto));
        assert!(!collision_logged(
            "FATAL:  data directory \"/x\" has invalid permissions"
        ));
    }
}
