/// What one SMS asks for, as the command language spells it (DESIGN.md, service 4):
/// `U.<login> P.<password>` credentials, `D.<number>` / `B.<name>` / `N<k>` destinations,
/// `O.<number>` origin (or where an `I.` reply goes), `R.<number>` register a caller ID,
/// `I.` account status. A message does one thing: a callback, a registration or a status.
public struct SMSCommand: Sendable, Equatable {
    /// `U.` and `P.` together; nil: the sender's number must be a registered caller ID.
    public var credentials: Credentials?
    public var action: Action
    /// `O.<number>`: the leg called first (callback), or where the `I.` reply goes.
    public var origin: String?

    public struct Credentials: Sendable, Equatable {
        public var login: String
        public var password: String

        public init(login: String, password: String) {
            self.login = login
            self.password = password
        }
    }

    public enum Action: Sendable, Equatable {
        /// Call the origin (or the sender) and connect it to the destinations, in order:
        /// one is a bridge, several a conference.
        case callback([Destination])
        /// `R.<number>`: authorise the number as a caller ID of the account.
        case register(String)
        /// `I.`: reply with the account's status.
        case status
    }

    public enum Destination: Sendable, Equatable {
        /// `D.<number>`
        case number(String)
        /// `B.<name>`: the address-book entry with that name.
        case addressBookName(String)
        /// `N<k>`: the address-book entry in slot k.
        case addressBookSlot(Int)
    }

    public init(credentials: Credentials?, action: Action, origin: String? = nil) {
        self.credentials = credentials
        self.action = action
        self.origin = origin
    }
}
