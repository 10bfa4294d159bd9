/// Everything a store offers, for code that takes one object for all of it (`SQLiteStore`,
/// the embedded default, or `PostgresStore`, shared by several nodes).
public typealias SwitchbackStore = AccountStore & AddressBookStore & BillingStore & CallbackQueueStore
    & CallerIDStore & CDRStore & PINLockoutStore & RateStore & SpoolOffsetStore
    & CallbackEventStore & RegistrationBindingStore & NodeLeaseStore
