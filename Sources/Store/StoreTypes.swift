/// Everything the embedded store offers, for code that takes one object for all of it
/// (`SQLiteStore` today; a PostgreSQL store later).
public typealias SwitchbackStore = AccountStore & AddressBookStore & BillingStore & CallbackQueueStore
    & CallerIDStore & CDRStore & PINLockoutStore & RateStore & SpoolOffsetStore
    & CallbackEventStore & RegistrationBindingStore
