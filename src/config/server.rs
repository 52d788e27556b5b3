//! Where the server answers: in development, the public URL follows the
//! listen address unless it is set, so that changing only the port (say
//! `PORTTIVAHTI__SERVER__LISTEN=127.0.0.1:9090`) moves the issuer, the demo
//! portals' redirect URIs and every published link with it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// `http://` and the listen address, an unspecified address (`0.0.0.0`,
/// `::`) read as loopback: the address a browser on this machine opens.
pub fn url_of_listen(listen: SocketAddr) -> String {
    let ip = match listen.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, listen.port()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unspecified_listen_address_is_published_as_loopback() {
        let at = |s: &str| url_of_listen(s.parse().unwrap());
        assert_eq!(at("127.0.0.1:9090"), "http://127.0.0.1:9090");
        assert_eq!(at("0.0.0.0:8081"), "http://127.0.0.1:8081");
        assert_eq!(at("[::]:8081"), "http://[::1]:8081");
        assert_eq!(at("192.0.2.7:80"), "http://192.0.2.7:80");
    }
}
