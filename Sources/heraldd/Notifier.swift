import Foundation
import HeraldCore
import HeraldDBus
import HeraldStore
import Logging

/// Shows each account's notifications on the desktop: one per room, replaced as messages
/// arrive, or — while the account is locked — one discreet notification with no sender, room
/// or text. Records what is on screen so a restart replaces rather than duplicates.
actor Notifier {
    private let sink: (any NotificationSink)?
    private let store: AppDatabase
    private let logger: Logger
    private let texts: NotificationTexts
    private var quietHours: QuietHours?
    private let timers: Timers
    /// The newest lock (concealed) or unlock the daemon asked for, per account. Each is numbered
    /// when it is decided; one that arrives after a newer one is ignored, an unlock still showing
    /// previews stops when a lock comes, and what a sync loop decided to show in full before a
    /// lock shows discreetly.
    private var lockState: [UserID: (change: Int, concealed: Bool)] = [:]

    private func accept(_ account: UserID, change: Int, concealed: Bool) -> Bool {
        if let newest = lockState[account]?.change, newest > change { return false }
        lockState[account] = (change, concealed)
        return true
    }

    func setQuietHours(_ q: QuietHours?) { quietHours = q }

    /// Minutes since local midnight.
    private static func localMinute() -> Int {
        var t = time(nil)
        var parts = tm()
        localtime_r(&t, &parts)
        return Int(parts.tm_hour) * 60 + Int(parts.tm_min)
    }
    /// The notification server's capabilities, asked once per server.
    private var cachedCapabilities: Set<String>?

    init(sink: (any NotificationSink)?, store: AppDatabase, texts: NotificationTexts = .english, timers: Timers,
         logger: Logger) {
        self.texts = texts
        self.timers = timers
        self.sink = sink
        self.store = store
        self.logger = logger
    }

    /// Name and version of the notification server, or nil when none answers.
    func serverInformation() async -> String? {
        guard let sink else { return nil }
        return try? await sink.serverInformation()
    }

    private func capabilities() async -> Set<String> {
        if let cachedCapabilities { return cachedCapabilities }
        guard let sink, let caps = try? await sink.capabilities() else { return [] }
        cachedCapabilities = Set(caps)
        return cachedCapabilities ?? []
    }

    private func supportsMarkup() async -> Bool { await capabilities().contains("body-markup") }

    /// What every Herald notification says of itself, and how urgent it is (1 normal, 2 critical).
    private static func hints(category: String = "im.received", urgency: UInt8 = 1) -> [(String, BusValue)] {
        [("category", .string(category)), ("desktop-entry", .string("herald")), ("urgency", .byte(urgency))]
    }

    /// A notification was closed on screen (by the user or expiry): what it stood for starts a new count.
    func closed(id: UInt32) {
        do { try store.clearNotification(id: id) } catch { logger.error("cannot record a closed notification: \(error)") }
    }

    /// A notification server appeared, left or was replaced: what it showed is gone with it.
    func serverChanged(present: Bool) {
        cachedCapabilities = nil  // asked again of the next server
        do { try store.forgetAllNotifications() } catch { logger.error("cannot reset notification ids: \(error)") }
        logger.notice(present ? "a notification server is running" : "the notification server went away")
    }

    /// The room behind a notification id, for its actions.
    func room(showing id: UInt32) -> NotifiedRoom? { try? store.room(showing: id) }

    /// `rooms`: the account's rooms as stored with the answer (its loop has them in hand);
    /// `showing`: the account's settings and notifications, read once the answer was stored.
    func show(_ account: UserID, messages: [IncomingMessage], rooms: [String: RoomInfo], unreadHints: [String: Int],
              showing: ShowingState, presentation: Presentation) async {
        var messages = messages.filter { !showing.mutedRooms.contains($0.roomID) }
        if let quiet = quietHours {
            let minute = Self.localMinute()
            let held = messages.filter { !quiet.allows(highlight: $0.highlight, minute: minute) }
            if !held.isEmpty {
                // Quiet hours: handled without a popup; the messages wait in the chat itself.
                try? store.markHandled(account, eventIDs: held.map(\.eventID))
                messages.removeAll { m in held.contains { $0.eventID == m.eventID } }
            }
        }
        guard !messages.isEmpty else { return }
        // One round of updates a second per account, however many rooms it touches.
        let waited = await pace(account)
        // Locked while waiting: nothing of the messages shows.
        let presentation = lockState[account]?.concealed == true ? .discreet(label: account.localpart) : presentation
        let byRoom = Dictionary(grouping: messages, by: \.roomID).mapValues { $0.map(\.eventID) }
        guard showing.notificationsEnabled, let sink else {
            // Notifications are off: the events count as handled, so they never pop up later.
            try? store.markHandled(account, eventIDs: messages.map(\.eventID))
            return
        }
        if case .discreet(let label) = presentation {
            let added = byRoom.mapValues(\.count).merging(unreadHints) { max($0, $1) }
            await showDiscreet(account, label: label, adding: added, eventIDs: messages.map(\.eventID), sink: sink)
            return
        }
        // What the notifications show may have changed while the round waited its turn.
        let states = waited ? (try? store.notificationStates(of: account)) ?? [:] : showing.notifications
        let plans = NotificationPlanner.plan(messages: messages, states: states, rooms: rooms,
                                             unreadHints: unreadHints, markup: await supportsMarkup(), texts: texts)
        if plans.count > Self.roomsBeforeSummary {
            // A catch-up after sleep or a restart: one summary instead of a storm of popups.
            let added = Dictionary(uniqueKeysWithValues: plans.map { ($0.roomID, $0.count - (states[$0.roomID]?.count ?? 0)) })
            await showAccountNotification(account, adding: added, eventIDs: messages.map(\.eventID), sink: sink) { total, rooms in
                self.texts.summary(total, rooms)
            }
            return
        }
        for plan in plans {
            await deliver(plan, account: account, eventIDs: byRoom[plan.roomID] ?? [], sink: sink)
        }
    }

    /// After a crash between recording and showing: the events' text is gone (it is never
    /// stored), so the room shows a count.
    func showUnshown(_ account: UserID, enabled: Bool, presentation: Presentation) async {
        guard let pending = try? store.unshown(account), !pending.isEmpty else { return }
        guard enabled, let sink else {
            try? store.markHandled(account, eventIDs: pending.values.flatMap { $0 })
            return
        }
        if case .discreet(let label) = presentation {
            await showDiscreet(account, label: label, adding: pending.mapValues(\.count), eventIDs: pending.values.flatMap { $0 }, sink: sink)
            return
        }
        let states = (try? store.notificationStates(of: account)) ?? [:]
        let rooms = (try? store.rooms(of: account)) ?? [:]
        for (roomID, events) in pending {
            var state = states[roomID] ?? RoomNotificationState()
            state.count += events.count
            await deliverCount(account, roomID: roomID, state, rooms: rooms, eventIDs: events, sink: sink)
        }
    }

    /// Rooms read on another device: their notifications close, and a locked account's
    /// discreet notification counts down (or closes when nothing is left).
    func withdraw(_ account: UserID, rooms: Set<String>) async {
        guard let sink, !rooms.isEmpty else { return }
        let states = ((try? store.notificationStates(of: account)) ?? [:]).filter { rooms.contains($0.key) }
        guard !states.isEmpty else { return }
        let remaining: Int
        do {
            remaining = try store.resetRooms(account, Array(states.keys))  // before closing: the signals then match nothing
        } catch {
            logger.error("cannot record read rooms: \(error)", metadata: ["account": "\(account)"])
            return
        }
        for (_, state) in states where state.notificationID != 0 { try? await sink.close(state.notificationID) }
        let discreet = (try? store.account(account))??.discreetNotificationID ?? 0
        guard discreet != 0 else { return }
        if remaining == 0 {
            try? store.setDiscreetNotification(0, for: account)
            try? await sink.close(discreet)
        } else {
            await showDiscreet(account, label: account.localpart, adding: [:], eventIDs: [], sink: sink)
        }
        logger.info("withdrawn, read elsewhere", metadata: ["account": "\(account)", "rooms": "\(states.count)"])
    }

    /// Edits replace the text of the notification showing the edited message; a redaction
    /// takes the text away (or the notification, when it stood for that message alone).
    func apply(_ account: UserID, changes: [MessageChange], presentation: Presentation) async {
        // Locked since the loop read the presentation: no text shows.
        let presentation = lockState[account]?.concealed == true ? .discreet(label: account.localpart) : presentation
        guard let sink, !changes.isEmpty, presentation == .full else { return }
        let states = (try? store.notificationStates(of: account)) ?? [:]
        let rooms = (try? store.rooms(of: account)) ?? [:]
        for change in changes {
            guard let state = states[change.roomID], state.notificationID != 0,
                  (try? store.room(showing: state.notificationID))??.lastEventID == change.targetEventID else { continue }
            if let text = change.newText {
                let edited = IncomingMessage(eventID: change.targetEventID, roomID: change.roomID, sender: "",
                                             senderName: change.senderName, content: .text(text), timestamp: 0)
                await deliverLatest(account, edited, state, rooms: rooms, sink: sink)
            } else if state.count <= 1 {
                _ = try? store.resetRooms(account, [change.roomID])
                try? await sink.close(state.notificationID)
            } else {
                await deliverCount(account, roomID: change.roomID, state, rooms: rooms, eventIDs: [], sink: sink)
            }
        }
    }

    // MARK: lock and unlock

    /// Locking: every room notification of the account is withdrawn and replaced by one
    /// discreet notification standing for all of them.
    func conceal(_ account: UserID, change: Int) async {
        guard accept(account, change: change, concealed: true) else { return }
        guard let sink else { return }
        let states = (try? store.notificationStates(of: account)) ?? [:]
        // Forget the ids first, so the NotificationClosed signals that follow match nothing.
        try? store.detachRoomNotifications(account)
        for (_, state) in states where state.notificationID != 0 { try? await sink.close(state.notificationID) }
        if states.values.contains(where: { $0.count > 0 }) {
            await showDiscreet(account, label: account.localpart, adding: [:], eventIDs: [], sink: sink)
        }
    }

    /// At start every account is locked, but a previous run (a crash, an upgrade, a restart) may
    /// have left full previews on screen. For an account that now shows discreetly, one of them
    /// becomes its discreet notification (same id) and the others close; with its notifications
    /// off, they all close.
    func concealLeftovers(_ account: UserID, presentation: Presentation, enabled: Bool) async {
        guard let sink, case .discreet(let label) = presentation else { return }
        let states = (try? store.notificationStates(of: account)) ?? [:]
        let onScreen = states.values.map(\.notificationID).filter { $0 != 0 }.sorted()
        guard !onScreen.isEmpty else { return }
        // Forget the ids first, so the NotificationClosed signals that follow match nothing.
        try? store.detachRoomNotifications(account)
        var kept = (try? store.account(account))??.discreetNotificationID ?? 0
        if enabled, kept == 0 {
            kept = onScreen[0]
            try? store.setDiscreetNotification(kept, for: account)
        }
        for id in onScreen where id != kept { try? await sink.close(id) }
        if enabled { await showDiscreet(account, label: label, adding: [:], eventIDs: [], sink: sink) }
        logger.notice("previews left on screen by the previous run are hidden",
                      metadata: ["account": "\(account)", "notifications": "\(onScreen.count)"])
    }

    /// Unlocking: the discreet notification gives way to one per room, with the room's latest
    /// message where the daemon could fetch it (`latest`), else titled with a count: the text of
    /// what came while locked was never kept. Stops if a newer lock arrives meanwhile.
    func reveal(_ account: UserID, latest: [String: IncomingMessage] = [:], change: Int) async {
        guard accept(account, change: change, concealed: false) else { return }
        guard let sink else { return }
        let discreet = (try? store.account(account))??.discreetNotificationID ?? 0
        if discreet != 0 {
            try? store.setDiscreetNotification(0, for: account)
            try? await sink.close(discreet)
        }
        let states = (try? store.notificationStates(of: account)) ?? [:]
        let rooms = (try? store.rooms(of: account)) ?? [:]
        for (roomID, var state) in states where state.count > 0 {
            guard lockState[account]?.change == change else { return }
            state.notificationID = 0  // withdrawn when the account locked
            if let message = latest[roomID] {
                await deliverLatest(account, message, state, rooms: rooms, sink: sink)
            } else {
                await deliverCount(account, roomID: roomID, state, rooms: rooms, eventIDs: [], sink: sink)
            }
        }
    }

    /// Withdraws everything the account shows; with a reason, tells the user it was signed out.
    func withdrawAll(_ account: UserID, signedOutReason: String?) async {
        guard let sink else { return }
        let states = (try? store.notificationStates(of: account)) ?? [:]
        let discreet = (try? store.account(account))??.discreetNotificationID ?? 0
        try? store.detachRoomNotifications(account)
        try? store.setDiscreetNotification(0, for: account)
        for id in states.values.map(\.notificationID) + [discreet] where id != 0 { try? await sink.close(id) }
        guard let reason = signedOutReason else { return }
        do {
            _ = try await sink.notify(NotificationRequest(
                summary: "Herald", body: texts.signedOut(account.rawValue, reason),
                hints: Self.hints(category: "im")))
        } catch {
            logger.warning("cannot show the signed-out notification: \(error)", metadata: ["account": "\(account)"])
        }
    }

    /// A notification about the account itself (not a message), such as its device being unverified.
    func notice(_ account: UserID, body: String) async {
        guard let sink else { return }
        do {
            _ = try await sink.notify(NotificationRequest(summary: "Herald", body: body, hints: Self.hints(category: "im.error")))
        } catch {
            logger.warning("cannot show a notice: \(error)", metadata: ["account": "\(account)"])
        }
    }

    // MARK: delivery

    private var lastNotify: [UserID: ContinuousClock.Instant] = [:]

    /// At most one round of notification updates a second per account: in a burst the sync loop
    /// waits here, and what arrives meanwhile comes in its next answer and is folded into the
    /// same notifications.
    /// Whether it waited.
    private func pace(_ account: UserID) async -> Bool {
        let waited = await timers.pace(after: lastNotify[account])
        lastNotify[account] = .now
        return waited
    }

    /// Beyond this many rooms in one batch, the account shows one summary notification.
    static let roomsBeforeSummary = 5

    private func showDiscreet(_ account: UserID, label: String, adding: [String: Int], eventIDs: [String], sink: any NotificationSink) async {
        // A locked account's notification offers only Unlock…, and only where a PIN prompt can be shown.
        let offered = await capabilities().contains("actions") && PinEntry.isInstalled ? ["unlock", texts.unlock] : []
        await showAccountNotification(account, adding: adding, eventIDs: eventIDs, sink: sink, actions: offered) { total, _ in
            self.texts.discreet(label, total)
        }
    }

    /// The account whose discreet notification has this id.
    func account(showing id: UInt32) -> UserID? { try? store.account(withDiscreetNotification: id) }

    /// The account's one notification standing for all its rooms: the discreet form while
    /// locked, or a catch-up summary. Room counts keep adding up beneath it.
    private func showAccountNotification(_ account: UserID, adding: [String: Int], eventIDs: [String], sink: any NotificationSink,
                                         actions: [String] = [], body: (Int, Int) -> String) async {
        do {
            let (total, rooms) = try store.addRoomCounts(account, adding)
            let replaces = (try store.account(account))?.discreetNotificationID ?? 0
            let id = try await sink.notify(NotificationRequest(
                replacesID: replaces, summary: "Herald", body: body(total, rooms), actions: actions,
                hints: Self.hints()))
            try store.setDiscreetNotification(id, for: account)
            try store.markHandled(account, eventIDs: eventIDs)
            logger.info("notified discreetly", metadata: ["account": "\(account)", "id": "\(id)", "count": "\(total)"])
        } catch {
            logger.warning("cannot show a notification: \(error)", metadata: ["account": "\(account)"])
        }
    }

    /// The room's notification as a count alone: the text of its messages is not at hand.
    private func deliverCount(_ account: UserID, roomID: String, _ state: RoomNotificationState, rooms: [String: RoomInfo],
                              eventIDs: [String], sink: any NotificationSink) async {
        let plan = PlannedNotification(roomID: roomID, replacesID: state.notificationID,
                                       summary: rooms[roomID]?.name ?? texts.newMessagesTitle,
                                       body: texts.newMessages(state.count), count: state.count,
                                       lastEventID: eventIDs.last ?? "", highlight: state.highlight)
        await deliver(plan, account: account, eventIDs: eventIDs, sink: sink)
    }

    /// The room's notification showing `message` for the `state.count` messages it already
    /// stands for (an edit, or the latest message fetched again at unlock).
    private func deliverLatest(_ account: UserID, _ message: IncomingMessage, _ state: RoomNotificationState,
                               rooms: [String: RoomInfo], sink: any NotificationSink) async {
        var base = state
        base.count -= 1  // planned as one new message, so the count stays the room's own
        if let plan = NotificationPlanner.plan(messages: [message], states: [message.roomID: base], rooms: rooms,
                                               markup: await supportsMarkup(), texts: texts).first {
            await deliver(plan, account: account, eventIDs: [], sink: sink)
        }
    }

    private func deliver(_ plan: PlannedNotification, account: UserID, eventIDs: [String], sink: any NotificationSink) async {
        // A mention is urgent (critical); the push rules' sound plays where the server can.
        let caps = await capabilities()
        var hints = Self.hints(urgency: plan.highlight ? 2 : 1)
        if plan.sound != nil, caps.contains("sound") { hints.append(("sound-name", .string("message-new-instant"))) }
        let offered = caps.contains("actions") && plan.lastEventID.hasPrefix("$")
            ? ["default", texts.open, "mark-read", texts.markRead, "mute-1h", texts.muteHour] : []
        let request = NotificationRequest(replacesID: plan.replacesID, summary: plan.summary, body: plan.body,
                                          actions: offered, hints: hints)
        do {
            let id = try await sink.notify(request)
            try store.markShown(account, roomID: plan.roomID, notificationID: id, count: plan.count, eventIDs: eventIDs,
                                lastEventID: plan.lastEventID.isEmpty ? nil : plan.lastEventID, highlight: plan.highlight)
            logger.info("notified", metadata: ["account": "\(account)", "room": "\(plan.roomID)", "id": "\(id)", "count": "\(plan.count)"])
        } catch {
            // Left unshown in the ledger: shown as a count at the next start.
            logger.warning("cannot show a notification: \(error)", metadata: ["account": "\(account)", "room": "\(plan.roomID)"])
        }
    }
}
