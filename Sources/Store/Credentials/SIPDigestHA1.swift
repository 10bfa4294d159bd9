import Crypto
import Foundation

/// The HA1 values of HTTP digest authentication (RFC 7616 §3.4.2, RFC 2617 §3.2.2.2):
/// `H(username ":" realm ":" password)`, stored instead of the password so the SIP layer
/// can verify REGISTER and INVITE credentials.
public enum SIPDigestHA1 {
    /// MD5 HA1 as lowercase hex (RFC 2617; what most SIP phones still use).
    public static func md5(login: String, realm: String, password: String) -> String {
        hex(Insecure.MD5.hash(data: Array("\(login):\(realm):\(password)".utf8)))
    }

    /// SHA-256 HA1 as lowercase hex (RFC 7616 algorithm SHA-256).
    public static func sha256(login: String, realm: String, password: String) -> String {
        hex(SHA256.hash(data: Array("\(login):\(realm):\(password)".utf8)))
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
    }
}
