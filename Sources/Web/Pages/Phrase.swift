/// Every text the pages show, in each `PageLanguage`. One switch, so a phrase without a
/// German text does not compile.
enum Phrase: CaseIterable {
    case siteName, skipToContent, mainNavigation, signIn, signOut, login, password, wrongPassword, lockedOut, accountLocked
    case csrfRejected, callMeBack, callMeBackIntro, numbers, numbersHint, yourNumber, yourNumberHint, connectTwo
    case connectTwoIntro, from, to, send, status, leg, number, state, cancel, cannotCancel, requestState
    case legUser, legDestination, myAccount, balance, freeBalance, history, historyLatest, downloadCSV, noCalls, started, seconds, cost
    case outcome, callerIDs, callerIDsIntro, add, remove, addressBook, addressBookIntro, name, entry, forward, forwardNumber
    case forwardMode, forwardAfter, save, saved, operatorPages, adminToken, wrongToken, noAdminToken, activeCalls
    case callbackQueue, queueEmpty, accounts, createAccount, initialBalance, pin, credit, amount, lock, unlock, lots
    case lotSize, download, notFound, invalidNumber, pageTitleStatus, liveStatusNote, requestEnded, back
    case findAccounts, find, previousPage, nextPage

    func text(_ language: PageLanguage) -> String {
        let (en, de) = pair
        return language == .de ? de : en
    }

    private var pair: (String, String) {
        switch self {
        case .siteName: return ("Switchback", "Switchback")
        case .skipToContent: return ("Skip to content", "Zum Inhalt springen")
        case .mainNavigation: return ("Main", "Hauptmenü")
        case .signIn: return ("Sign in", "Anmelden")
        case .signOut: return ("Sign out", "Abmelden")
        case .login: return ("Login", "Benutzername")
        case .password: return ("Password", "Passwort")
        case .wrongPassword: return ("Wrong login or password.", "Benutzername oder Passwort falsch.")
        case .lockedOut: return ("Too many failed sign-ins. Try again later.",
                                 "Zu viele fehlgeschlagene Anmeldungen. Bitte später erneut versuchen.")
        case .accountLocked: return ("This account is locked.", "Dieses Konto ist gesperrt.")
        case .csrfRejected: return ("The form had expired or did not come from this site. Please try again.",
                                    "Das Formular war abgelaufen oder kam nicht von dieser Seite. Bitte erneut versuchen.")
        case .callMeBack: return ("Call me back", "Rückruf")
        case .callMeBackIntro: return ("We call you first, then the numbers you give. One number is a call; several are a conference of up to %d people, you included.",
                                       "Wir rufen zuerst Sie an, dann die angegebenen Nummern. Eine Nummer ist ein Gespräch, mehrere eine Konferenz mit bis zu %d Teilnehmern, Sie eingeschlossen.")
        case .numbers: return ("Numbers to call", "Anzurufende Nummern")
        case .numbersHint: return ("Comma-separated, e.g. 4930123, 4940456", "Durch Kommas getrennt, z. B. 4930123, 4940456")
        case .yourNumber: return ("Your number (optional)", "Ihre Nummer (optional)")
        case .yourNumberHint: return ("Empty: your forward number or first caller ID", "Leer: Ihre Weiterleitungsnummer oder erste Rufnummer")
        case .connectTwo: return ("Connect two", "Zwei verbinden")
        case .connectTwoIntro: return ("We call the first number, then connect it to the second.",
                                       "Wir rufen die erste Nummer an und verbinden sie dann mit der zweiten.")
        case .from: return ("From", "Von")
        case .to: return ("To", "An")
        case .send: return ("Send", "Absenden")
        case .status: return ("Call status", "Anrufstatus")
        case .leg: return ("Leg", "Teilnehmer")
        case .number: return ("Number", "Nummer")
        case .state: return ("State", "Status")
        case .cancel: return ("Cancel", "Abbrechen")
        case .cannotCancel: return ("The request has ended: there is nothing to cancel.",
                                    "Der Auftrag ist beendet: es gibt nichts abzubrechen.")
        case .requestState: return ("Request", "Auftrag")
        case .legUser: return ("You", "Sie")
        case .legDestination: return ("Callee", "Angerufener")
        case .myAccount: return ("My account", "Mein Konto")
        case .balance: return ("Balance", "Guthaben")
        case .freeBalance: return ("Free balance", "Verfügbares Guthaben")
        case .history: return ("Call history", "Anrufliste")
        case .historyLatest: return ("Call history: the latest calls (every call is in the CSV)",
                                     "Anrufliste: die letzten Anrufe (alle Anrufe in der CSV-Datei)")
        case .downloadCSV: return ("Download as CSV", "Als CSV herunterladen")
        case .noCalls: return ("No calls yet.", "Noch keine Anrufe.")
        case .started: return ("Started", "Beginn")
        case .seconds: return ("Seconds", "Sekunden")
        case .cost: return ("Cost", "Kosten")
        case .outcome: return ("Outcome", "Ergebnis")
        case .callerIDs: return ("Authorised caller IDs", "Autorisierte Rufnummern")
        case .callerIDsIntro: return ("Calls and SMS from these numbers are trusted as you.",
                                      "Anrufe und SMS von diesen Nummern gelten als Ihre.")
        case .add: return ("Add", "Hinzufügen")
        case .remove: return ("Remove", "Entfernen")
        case .addressBook: return ("Address book", "Adressbuch")
        case .addressBookIntro: return ("In an SMS, N1, N2… stand for these entries.",
                                        "In einer SMS stehen N1, N2… für diese Einträge.")
        case .name: return ("Name", "Name")
        case .entry: return ("Entry", "Eintrag")
        case .forward: return ("Forwarding", "Weiterleitung")
        case .forwardNumber: return ("Forward number", "Weiterleitungsnummer")
        case .forwardMode: return ("Forward mode", "Weiterleitungsmodus")
        case .forwardAfter: return ("Forward after (seconds)", "Weiterleiten nach (Sekunden)")
        case .save: return ("Save", "Speichern")
        case .saved: return ("Saved.", "Gespeichert.")
        case .operatorPages: return ("Operator", "Betreiber")
        case .adminToken: return ("Admin token", "Admin-Token")
        case .wrongToken: return ("Wrong admin token.", "Falsches Admin-Token.")
        case .noAdminToken: return ("The operator pages need http.admin-token in the configuration.",
                                    "Die Betreiberseiten brauchen http.admin-token in der Konfiguration.")
        case .activeCalls: return ("Active calls", "Aktive Anrufe")
        case .callbackQueue: return ("Callback queue", "Rückruf-Warteschlange")
        case .queueEmpty: return ("The queue is empty.", "Die Warteschlange ist leer.")
        case .accounts: return ("Accounts", "Konten")
        case .createAccount: return ("Create account", "Konto anlegen")
        case .initialBalance: return ("Initial balance (e.g. 5.00 EUR)", "Anfangsguthaben (z. B. 5.00 EUR)")
        case .pin: return ("PIN (optional)", "PIN (optional)")
        case .credit: return ("Credit", "Gutschreiben")
        case .amount: return ("Amount (e.g. 5.00 EUR)", "Betrag (z. B. 5.00 EUR)")
        case .lock: return ("Lock", "Sperren")
        case .unlock: return ("Unlock", "Entsperren")
        case .lots: return ("Generated lots", "Erzeugte Serien")
        case .lotSize: return ("Accounts", "Konten")
        case .download: return ("Download CSV", "CSV herunterladen")
        case .notFound: return ("Not found.", "Nicht gefunden.")
        case .invalidNumber: return ("is not a phone number (2 to 20 digits, an optional leading +)",
                                     "ist keine Telefonnummer (2 bis 20 Ziffern, optional mit führendem +)")
        case .pageTitleStatus: return ("Call status", "Anrufstatus")
        case .liveStatusNote: return ("This table updates by itself.", "Diese Tabelle aktualisiert sich selbst.")
        case .requestEnded: return ("The request has ended.", "Der Auftrag ist beendet.")
        case .back: return ("New call", "Neuer Anruf")
        case .findAccounts: return ("Login starts with", "Login beginnt mit")
        case .find: return ("Find", "Suchen")
        case .previousPage: return ("Previous page", "Vorige Seite")
        case .nextPage: return ("Next page", "Nächste Seite")
        }
    }

    /// The leg and request states as the page shows them; the stream's keyword stays in
    /// `data-state` so the script and tests read the same word in both languages.
    static func state(_ keyword: String, _ language: PageLanguage) -> String {
        guard language == .de else { return keyword }
        let german: [String: String] = [
            "queued": "wartet", "dialing": "wählt", "ringing": "klingelt", "answered": "angenommen", "busy": "besetzt",
            "no-answer": "keine Antwort", "failed": "fehlgeschlagen", "ended": "beendet", "cancelled": "abgebrochen",
            "calling-a": "ruft Sie an", "a-answered": "Sie sind dran", "calling-b": "ruft an", "connected": "verbunden",
            "completed": "abgeschlossen",
        ]
        return german[keyword] ?? keyword
    }

    static let stateKeywords = ["queued", "dialing", "ringing", "answered", "busy", "no-answer", "failed", "ended",
                                "cancelled", "calling-a", "a-answered", "calling-b", "connected", "completed"]
}
