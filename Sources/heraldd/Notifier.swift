import HeraldCore
import HeraldDBus
import HeraldStore
import Logging

/// Shows each account's notifications on the desktop: one per room, replaced as messages
/// arrive, and records what is on screen so a restart replaces rather than duplicates.
actor Notifier {
    private let sink: (any NotificationSink)?
    private let store: AppDatabase
    private let logger: Logger
    private var markup: Bool?
    private var serverName: String?

    init(sink: (any NotificationSink)?, store: AppDatabase, logger: Logger) {
        self.sink = sink
        self.store = store
        self.logger = logger
    }

    /// Name and version of the notification server, or nil when none answers.
    func serverInformation() async -> String? {
        guard let sink else { return nil }
        return try? await sink.serverInformation()
    }

    private func supportsMarkup() async -> Bool {
        if let markup { return markup }
        guard let sink, let caps = try? await sink.capabilities() else { return false }
        markup = caps.contains("body-markup")
        return markup!
    }

    /// A notification was closed on screen (by the user, expiry or us): its room starts a new count.
    func closed(id: UInt32) {
        do { try store.clearNotification(id: id) } catch { logger.error("cannot record a closed notification: \(error)") }
    }

    /// The notification server went away or changed: ask its capabilities again next time.
    func forgetCapabilities() { markup = nil }

    func show(_ account: UserID, messages: [IncomingMessage], unreadHints: [String: Int], enabled: Bool) async {
        guard !messages.isEmpty else { return }
        let byRoom = Dictionary(grouping: messages, by: \.roomID).mapValues { $0.map(\.eventID) }
        guard enabled, let sink else {
            // Notifications are off: the events count as handled, so they never pop up later.
            for (room, events) in byRoom { try? store.markHandled(account, roomID: room, eventIDs: events) }
            return
        }
        let states = (try? store.notificationStates(of: account)) ?? [:]
        let rooms = (try? store.rooms(of: account)) ?? [:]
        let plans = NotificationPlanner.plan(messages: messages, states: states, rooms: rooms,
                                             unreadHints: unreadHints, markup: await supportsMarkup())
        for plan in plans {
            await deliver(plan, account: account, eventIDs: byRoom[plan.roomID] ?? [], sink: sink)
        }
    }

    /// After a crash between recording and showing: the events' text is gone (it is never stored),
    /// so the room shows a count.
    func showUnshown(_ account: UserID, enabled: Bool) async {
        guard let pending = try? store.unshown(account), !pending.isEmpty else { return }
        guard enabled, let sink else {
            for (room, events) in pending { try? store.markHandled(account, roomID: room, eventIDs: events) }
            return
        }
        let states = (try? store.notificationStates(of: account)) ?? [:]
        let rooms = (try? store.rooms(of: account)) ?? [:]
        let texts = NotificationTexts.english
        for (roomID, events) in pending {
            let state = states[roomID] ?? RoomNotificationState()
            let count = state.count + events.count
            let info = rooms[roomID] ?? RoomInfo()
            let plan = PlannedNotification(roomID: roomID, replacesID: state.notificationID,
                                           summary: info.name ?? texts.newMessages(count), body: texts.newMessages(count),
                                           count: count, lastEventID: events.last!)
            await deliver(plan, account: account, eventIDs: events, sink: sink)
        }
    }

    private func deliver(_ plan: PlannedNotification, account: UserID, eventIDs: [String], sink: any NotificationSink) async {
        let request = NotificationRequest(
            replacesID: plan.replacesID, summary: plan.summary, body: plan.body,
            hints: [("category", .string("im.received")), ("desktop-entry", .string("herald")), ("urgency", .byte(1))])
        do {
            let id = try await sink.notify(request)
            try store.markShown(account, roomID: plan.roomID, notificationID: id, count: plan.count, eventIDs: eventIDs)
            logger.info("notified", metadata: ["account": "\(account)", "room": "\(plan.roomID)", "id": "\(id)", "count": "\(plan.count)"])
        } catch {
            // Left unshown in the ledger: shown as a count at the next start.
            logger.warning("cannot show a notification: \(error)", metadata: ["account": "\(account)", "room": "\(plan.roomID)"])
        }
    }
}
