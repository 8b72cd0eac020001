//! The simulated products as data: who makes them, what they serve, which unit
//! table they ship with, and what each one does right or wrong.
//!
//! The unit tables here are the same as the `units` of the example profiles in
//! `examples/profiles/<name>.json`; the test suite loads every profile and checks
//! that the two agree, so a profile cannot silently drift from what is served.

use super::{Hostile, SimProduct};

/// One manufactured unit: what is printed on its label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnitSpec {
    pub serial: &'static str,
    pub mac: &'static str,
    /// The password printed on the unit's label (its factory password).
    pub label_password: &'static str,
}

/// A row of a unit table.
const fn unit(serial: &'static str, mac: &'static str, label_password: &'static str) -> UnitSpec {
    UnitSpec {
        serial,
        mac,
        label_password,
    }
}

/// How the device's own administration interface is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminTransport {
    /// HTTPS on port 443 with a self-signed device certificate.
    Https,
    /// Plain HTTP on port 80.
    Http,
}

impl AdminTransport {
    /// The port a real unit listens on.
    pub fn port(self) -> u16 {
        match self {
            AdminTransport::Https => 443,
            AdminTransport::Http => 80,
        }
    }
}

/// What a telnet console on port 23 does, if the unit has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TelnetConsole {
    None,
    /// A BusyBox-style console that accepts one baked-in credential.
    Backdoor {
        username: &'static str,
        password: &'static str,
    },
}

/// The password a unit has after a factory reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetPassword {
    /// Back to the unit's own label password.
    Label,
    /// A value shared by every unit of the product.
    Universal(&'static str),
}

/// What the manufacturer's website publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebsiteFlavour {
    /// security.txt, a disclosure policy and a support page with an end date.
    Complete,
    /// No security.txt and no disclosure policy (both 404).
    NoSecurityContact,
    /// The support page gives a period relative to purchase and no end date.
    VagueSupportPeriod,
}

/// Everything the simulation needs to know about one product.
#[derive(Debug)]
pub struct ProductSpec {
    pub product: SimProduct,
    pub name: &'static str,
    pub summary: &'static str,
    pub behaviours: &'static [(&'static str, &'static str)],
    pub manufacturer: &'static str,
    pub manufacturer_address: &'static str,
    pub model: &'static str,
    /// The model in the support page's path: `/support/<slug>`.
    pub model_slug: &'static str,
    pub product_type: &'static str,
    pub firmware: &'static str,
    /// Host name the device presents in its telnet prompt and certificate.
    pub hostname: &'static str,
    pub website_host: &'static str,
    /// End of the defined support period, `YYYY-MM-DD` (what the profile
    /// declares; whether the website says so depends on the flavour).
    pub support_end: &'static str,
    pub admin_username: &'static str,
    pub admin: AdminTransport,
    pub telnet: TelnetConsole,
    pub reset_password: ResetPassword,
    pub website: WebsiteFlavour,
    /// A hostile product: every port (and the website) behaves this way
    /// instead of serving anything.
    pub hostile: Option<Hostile>,
    pub units: &'static [UnitSpec],
}

impl ProductSpec {
    /// The registrable domain of the website (`goodcam.example`), used for the
    /// security mailbox.
    pub fn mail_domain(&self) -> &'static str {
        self.website_host
            .strip_prefix("www.")
            .unwrap_or(self.website_host)
    }

    pub fn website_url(&self, path: &str) -> String {
        format!("https://{}{path}", self.website_host)
    }

    pub fn support_path(&self) -> String {
        format!("/support/{}", self.model_slug)
    }
}

/// The catalogue entry for a product.
pub fn spec(product: SimProduct) -> &'static ProductSpec {
    match product {
        SimProduct::GoodCamera => &GOOD_CAMERA,
        SimProduct::MiraiDvr => &MIRAI_DVR,
        SimProduct::CounterPasswordPlug => &COUNTER_PLUG,
        SimProduct::SerialPasswordRouter => &SERIAL_ROUTER,
        SimProduct::ResetDefaultHub => &RESET_HUB,
        SimProduct::NoContactBulb => &NO_CONTACT_BULB,
        SimProduct::VagueSupportSpeaker => &VAGUE_SPEAKER,
        SimProduct::Tarpit => &TARPIT,
        SimProduct::Firehose => &FIREHOSE,
        SimProduct::Garbage => &GARBAGE,
        SimProduct::Flapping => &FLAPPING,
    }
}

const GOOD_DISCLOSURE: &str = "security.txt (RFC 9116) names an e-mail and a web contact and links a disclosure policy, reachable without login, that promises an acknowledgement within 5 working days and status updates at least every 30 days until resolution.";

static GOOD_CAMERA: ProductSpec = ProductSpec {
    product: SimProduct::GoodCamera,
    name: "good-camera",
    summary: "conformant",
    behaviours: &[
        ("5.1-1", "Each unit ships with its own 16-character password from the label; the user can replace it; a factory reset restores the label password, never a shared default."),
        ("5.1-2", "Label passwords are random 16-character strings with no relation to serial, MAC or each other."),
        ("5.2-1", GOOD_DISCLOSURE),
        ("5.3-13", "The support page states that security updates are guaranteed until 31 December 2031, the end date the profile declares."),
    ],
    manufacturer: "Goodcam Devices Ltd",
    manufacturer_address: "12 Harbour Road, Bristol BS1 4XX, United Kingdom",
    model: "GC-200",
    model_slug: "gc-200",
    product_type: "Indoor security camera",
    firmware: "2.4.1",
    hostname: "gc-200",
    website_host: "www.goodcam.example",
    support_end: "2031-12-31",
    admin_username: "admin",
    admin: AdminTransport::Https,
    telnet: TelnetConsole::None,
    reset_password: ResetPassword::Label,
    website: WebsiteFlavour::Complete,
    hostile: None,
    units: &[
        unit("GC200-26W40-000101", "3C:71:BF:0A:11:01", "k7Rq#vX2mP9w!LtZ"),
        unit("GC200-26W40-000102", "3C:71:BF:0A:11:02", "Yh3$Nb8eQz1@Wd6u"),
        unit("GC200-26W40-000103", "3C:71:BF:0A:11:03", "pF5&cJ0sTm4^Rx8k"),
        unit("GC200-26W40-000104", "3C:71:BF:0A:11:04", "Bw9*Lg2vHn7%Qe3y"),
        unit("GC200-26W40-000105", "3C:71:BF:0A:11:05", "dM6!Xt1zKr5#Pa0j"),
    ],
};

/// Mirai's first dictionary entry: the telnet credential of a family of
/// DVR and camera boards.
pub const MIRAI_USERNAME: &str = "root";
pub const MIRAI_PASSWORD: &str = "xc3511";

static MIRAI_DVR: ProductSpec = ProductSpec {
    product: SimProduct::MiraiDvr,
    name: "mirai-dvr",
    summary: "PSTI para 1: an undeclared telnet console on port 23 accepts the universal credential root/xc3511",
    behaviours: &[
        ("5.1-1", "The declared HTTPS admin uses unique label passwords, but an undeclared BusyBox telnet console on port 23 accepts root/xc3511 on every unit: a universal default password outside the factory-default state."),
        ("5.1-2", "Label passwords for the web admin are random 16-character strings; the telnet credential is a fixed value baked into the firmware."),
        ("5.2-1", GOOD_DISCLOSURE),
        ("5.3-13", "The support page states that security updates are guaranteed until 30 June 2030, the end date the profile declares."),
    ],
    manufacturer: "Kestrel Security Systems Ltd",
    manufacturer_address: "Unit 4, Riverside Trading Estate, Leeds LS10 1AB, United Kingdom",
    model: "KD-804H",
    model_slug: "kd-804h",
    product_type: "4-channel digital video recorder",
    firmware: "3.2.7",
    hostname: "kd-804h",
    website_host: "www.kestrel-dvr.example",
    support_end: "2030-06-30",
    admin_username: "admin",
    admin: AdminTransport::Https,
    telnet: TelnetConsole::Backdoor {
        username: MIRAI_USERNAME,
        password: MIRAI_PASSWORD,
    },
    reset_password: ResetPassword::Label,
    website: WebsiteFlavour::Complete,
    hostile: None,
    units: &[
        unit("KD804H-2403-00411", "00:12:41:5C:0A:11", "kIyi6oS5tf&2eAF6"),
        unit("KD804H-2403-00412", "00:12:41:5C:0A:12", "do$zJn1s&D^%pZ#e"),
        unit("KD804H-2403-00413", "00:12:41:5C:0A:13", "zE0uZ6ej4DTWtaNF"),
        unit("KD804H-2403-00414", "00:12:41:5C:0A:14", "yKjrgvyo7sBVhbrq"),
        unit("KD804H-2403-00415", "00:12:41:5C:0A:15", "*YnS8yC@YCM0BkA2"),
    ],
};

static COUNTER_PLUG: ProductSpec = ProductSpec {
    product: SimProduct::CounterPasswordPlug,
    name: "counter-password-plug",
    summary: "PSTI para 1: unit passwords come from an incrementing counter (plug-100231, plug-100232, ...)",
    behaviours: &[
        ("5.1-1", "Each unit has a different label password and the user can replace it, so the passwords are unique per unit, but only trivially so."),
        ("5.1-2", "Label passwords are 'plug-' followed by the next value of a production counter: knowing one unit's password gives the neighbours'. The profile honestly declares the counter."),
        ("5.2-1", GOOD_DISCLOSURE),
        ("5.3-13", "The support page states that security updates are guaranteed until 31 March 2029, the end date the profile declares."),
    ],
    manufacturer: "Brightwatt Home Ltd",
    manufacturer_address: "3 Mill Lane, Cambridge CB2 1RX, United Kingdom",
    model: "BW-P1",
    model_slug: "bw-p1",
    product_type: "Smart plug",
    firmware: "1.8.0",
    hostname: "bw-p1",
    website_host: "www.brightwatt.example",
    support_end: "2029-03-31",
    admin_username: "admin",
    admin: AdminTransport::Http,
    telnet: TelnetConsole::None,
    reset_password: ResetPassword::Label,
    website: WebsiteFlavour::Complete,
    hostile: None,
    units: &[
        unit("BWP1-2511-100231", "D8:F1:5B:20:31:01", "plug-100231"),
        unit("BWP1-2511-100232", "D8:F1:5B:20:31:02", "plug-100232"),
        unit("BWP1-2511-100233", "D8:F1:5B:20:31:03", "plug-100233"),
        unit("BWP1-2511-100234", "D8:F1:5B:20:31:04", "plug-100234"),
        unit("BWP1-2511-100235", "D8:F1:5B:20:31:05", "plug-100235"),
    ],
};

static SERIAL_ROUTER: ProductSpec = ProductSpec {
    product: SimProduct::SerialPasswordRouter,
    name: "serial-password-router",
    summary: "PSTI para 1: each unit's password is the last 8 hex digits of its MAC address, while the profile claims a random generator",
    behaviours: &[
        ("5.1-1", "Each unit has a different label password and the user can replace it, but anyone who sees the MAC address (printed on the box, broadcast on the network) knows the password."),
        ("5.1-2", "The label password is the last 8 hex digits of the unit's MAC address in lower case (00:1A:2B:3C:4D:5E gives 2b3c4d5e). The profile claims a CSPRNG: a false declaration."),
        ("5.2-1", GOOD_DISCLOSURE),
        ("5.3-13", "The support page states that security updates are guaranteed until 30 September 2032, the end date the profile declares."),
    ],
    manufacturer: "Meshline Networks plc",
    manufacturer_address: "Meshline House, 40 Station Road, Reading RG1 1LX, United Kingdom",
    model: "ML-AX3000",
    model_slug: "ml-ax3000",
    product_type: "Wi-Fi router",
    firmware: "5.0.12",
    hostname: "ml-ax3000",
    website_host: "www.meshline.example",
    support_end: "2032-09-30",
    admin_username: "admin",
    admin: AdminTransport::Http,
    telnet: TelnetConsole::None,
    reset_password: ResetPassword::Label,
    website: WebsiteFlavour::Complete,
    hostile: None,
    units: &[
        unit("MLAX3-24Q3-0007781", "00:1A:2B:3C:4D:5E", "2b3c4d5e"),
        unit("MLAX3-24Q3-0007782", "00:1A:2B:3C:4D:5F", "2b3c4d5f"),
        unit("MLAX3-24Q3-0007783", "00:1A:2B:3C:4D:60", "2b3c4d60"),
        unit("MLAX3-24Q3-0007784", "00:1A:2B:3C:4D:61", "2b3c4d61"),
        unit("MLAX3-24Q3-0007785", "00:1A:2B:3C:4D:62", "2b3c4d62"),
    ],
};

/// The password every reset-default-hub unit has after a factory reset.
pub const HUB_RESET_PASSWORD: &str = "admin";

static RESET_HUB: ProductSpec = ProductSpec {
    product: SimProduct::ResetDefaultHub,
    name: "reset-default-hub",
    summary: "PSTI para 1: a factory reset sets the password to the universal admin/admin until the user changes it",
    behaviours: &[
        ("5.1-1", "Units ship with unique random label passwords, but a factory reset replaces the password with admin/admin, the same on every unit, until the user changes it."),
        ("5.1-2", "Label passwords are random 16-character strings; the post-reset password is a fixed value."),
        ("5.2-1", GOOD_DISCLOSURE),
        ("5.3-13", "The support page states that security updates are guaranteed until 31 December 2030, the end date the profile declares."),
    ],
    manufacturer: "Hearthlink Systems Ltd",
    manufacturer_address: "7 Castle Street, Edinburgh EH2 3AH, United Kingdom",
    model: "HL-H3",
    model_slug: "hl-h3",
    product_type: "Smart home hub",
    firmware: "4.1.3",
    hostname: "hl-h3",
    website_host: "www.hearthlink.example",
    support_end: "2030-12-31",
    admin_username: "admin",
    admin: AdminTransport::Http,
    telnet: TelnetConsole::None,
    reset_password: ResetPassword::Universal(HUB_RESET_PASSWORD),
    website: WebsiteFlavour::Complete,
    hostile: None,
    units: &[
        unit("HLH3-2509-031401", "F4:3C:96:7E:02:01", "rk1hnmIU$l!d6dyI"),
        unit("HLH3-2509-031402", "F4:3C:96:7E:02:02", "qINqZVaXcmDVRlv&"),
        unit("HLH3-2509-031403", "F4:3C:96:7E:02:03", "kY3#g5!Hw0q!Y!Pk"),
        unit("HLH3-2509-031404", "F4:3C:96:7E:02:04", "Lar8!DG@yegpS#o6"),
        unit("HLH3-2509-031405", "F4:3C:96:7E:02:05", "Army@&Su4m9!qOYg"),
    ],
};

static NO_CONTACT_BULB: ProductSpec = ProductSpec {
    product: SimProduct::NoContactBulb,
    name: "no-contact-bulb",
    summary: "PSTI para 2: no security.txt and the declared disclosure policy URL is a 404",
    behaviours: &[
        ("5.1-1", "Each unit ships with its own random label password; the user can replace it; a factory reset restores the label password."),
        ("5.1-2", "Label passwords are random 16-character strings with no relation to serial, MAC or each other."),
        ("5.2-1", "The website has no /.well-known/security.txt and the disclosure policy URL the profile declares answers 404: there is no published point of contact and no timelines."),
        ("5.3-13", "The support page states that security updates are guaranteed until 31 December 2029, the end date the profile declares."),
    ],
    manufacturer: "Lumora Lighting Ltd",
    manufacturer_address: "22 Canal Street, Manchester M1 3HE, United Kingdom",
    model: "LM-A19C",
    model_slug: "lm-a19c",
    product_type: "Smart colour light bulb",
    firmware: "1.2.5",
    hostname: "lm-a19c",
    website_host: "www.lumora.example",
    support_end: "2029-12-31",
    admin_username: "admin",
    admin: AdminTransport::Https,
    telnet: TelnetConsole::None,
    reset_password: ResetPassword::Label,
    website: WebsiteFlavour::NoSecurityContact,
    hostile: None,
    units: &[
        unit("LMA19C-26A-500901", "84:F7:03:4B:90:01", "@XO#Dy7ssWyGL^rx"),
        unit("LMA19C-26A-500902", "84:F7:03:4B:90:02", "RsPZncsvpzNuzAgZ"),
        unit("LMA19C-26A-500903", "84:F7:03:4B:90:03", "cfSv#iqBsPIM%&EL"),
        unit("LMA19C-26A-500904", "84:F7:03:4B:90:04", "agqJ#Lv7EJUhWPOg"),
        unit("LMA19C-26A-500905", "84:F7:03:4B:90:05", "arNmMnt5H#8OQ7uf"),
    ],
};

static VAGUE_SPEAKER: ProductSpec = ProductSpec {
    product: SimProduct::VagueSupportSpeaker,
    name: "vague-support-speaker",
    summary: "PSTI para 3: the support page promises updates 'for at least two years from purchase' with no end date",
    behaviours: &[
        ("5.1-1", "Each unit ships with its own random label password; the user can replace it; a factory reset restores the label password."),
        ("5.1-2", "Label passwords are random 16-character strings with no relation to serial, MAC or each other."),
        ("5.2-1", GOOD_DISCLOSURE),
        ("5.3-13", "The support page says the speaker receives security updates for at least two years from purchase: a period relative to an unknown date, with no end date anywhere, although the profile declares 30 June 2028."),
    ],
    manufacturer: "Tunewell Audio Ltd",
    manufacturer_address: "9 Queen Square, Bath BA1 2HN, United Kingdom",
    model: "TW-S5",
    model_slug: "tw-s5",
    product_type: "Wireless smart speaker",
    firmware: "6.0.2",
    hostname: "tw-s5",
    website_host: "www.tunewell.example",
    support_end: "2028-06-30",
    admin_username: "admin",
    admin: AdminTransport::Https,
    telnet: TelnetConsole::None,
    reset_password: ResetPassword::Label,
    website: WebsiteFlavour::VagueSupportPeriod,
    hostile: None,
    units: &[
        unit("TWS5-25K-210041", "B0:4E:26:C1:41:01", "cRZ4@atRTaYMRb*6"),
        unit("TWS5-25K-210042", "B0:4E:26:C1:41:02", "*gHqp^APZTU!NUuC"),
        unit("TWS5-25K-210043", "B0:4E:26:C1:41:03", "oTqJBuPrfVjX2kGD"),
        unit("TWS5-25K-210044", "B0:4E:26:C1:41:04", "Y4cRy6oJ!OIeQMJu"),
        unit("TWS5-25K-210045", "B0:4E:26:C1:41:05", "gPg8awe!XAli@4Hp"),
    ],
};

static TARPIT: ProductSpec = ProductSpec {
    product: SimProduct::Tarpit,
    name: "tarpit",
    summary: "hostile device: every port and the website accept connections and never send a byte",
    behaviours: &[
        ("5.1-1", "Declares unique label passwords, but its login interfaces (HTTPS 443, telnet 23) accept the connection and never answer: every login probe must end INCONCLUSIVE by timeout."),
        ("5.1-2", "Declares random label passwords; nothing can be checked functionally because nothing answers."),
        ("5.2-1", "The website accepts TLS connections and never sends a byte: fetching the disclosure policy or security.txt must time out, INCONCLUSIVE."),
        ("5.3-13", "The support page cannot be fetched for the same reason: INCONCLUSIVE, never PASS or FAIL."),
    ],
    manufacturer: "Quietport Electronics Ltd",
    manufacturer_address: "5 Dock Road, Cardiff CF10 5AA, United Kingdom",
    model: "QP-DB1",
    model_slug: "qp-db1",
    product_type: "Video doorbell",
    firmware: "2.0.0",
    hostname: "qp-db1",
    website_host: "www.quietport.example",
    support_end: "2031-06-30",
    admin_username: "admin",
    admin: AdminTransport::Https,
    telnet: TelnetConsole::None,
    reset_password: ResetPassword::Label,
    website: WebsiteFlavour::Complete,
    hostile: Some(Hostile::Tarpit),
    units: &[
        unit("QPDB1-26B-000501", "A4:CF:12:55:05:01", "e9UbVtRIFm*Yr&D2"),
        unit("QPDB1-26B-000502", "A4:CF:12:55:05:02", "6MJsIL2SeeGuXJoV"),
        unit("QPDB1-26B-000503", "A4:CF:12:55:05:03", "OAnscDpRv5xaDPau"),
        unit("QPDB1-26B-000504", "A4:CF:12:55:05:04", "hpmTw7Obgqc*@NmJ"),
        unit("QPDB1-26B-000505", "A4:CF:12:55:05:05", "nkdGsdwzWEgZroqW"),
    ],
};

static FIREHOSE: ProductSpec = ProductSpec {
    product: SimProduct::Firehose,
    name: "firehose",
    summary: "hostile device: every port and the website stream bytes without end (TLS ports complete the handshake, then send HTTP headers that never end)",
    behaviours: &[
        ("5.1-1", "Declares unique label passwords, but its login interfaces (HTTPS 443, telnet 23) stream without end: the HTTPS ports send header lines that never end, the telnet console text that never ends. Every login probe must stop at its size or time limit: INCONCLUSIVE."),
        ("5.1-2", "Declares random label passwords; nothing can be checked functionally because no answer ever ends."),
        ("5.2-1", "The website completes the TLS handshake, then sends an HTTP status line and header lines without end: fetching the disclosure policy or security.txt must stop at the size limit, INCONCLUSIVE."),
        ("5.3-13", "The support page cannot be read for the same reason: INCONCLUSIVE, never PASS or FAIL."),
    ],
    manufacturer: "Torrent Devices Ltd",
    manufacturer_address: "18 Weir Street, Nottingham NG1 6HT, United Kingdom",
    model: "TD-BM4",
    model_slug: "td-bm4",
    product_type: "Smart baby monitor",
    firmware: "1.4.0",
    hostname: "td-bm4",
    website_host: "www.torrent-devices.example",
    support_end: "2030-03-31",
    admin_username: "admin",
    admin: AdminTransport::Https,
    telnet: TelnetConsole::None,
    reset_password: ResetPassword::Label,
    website: WebsiteFlavour::Complete,
    hostile: Some(Hostile::Firehose),
    units: &[
        unit("TDBM4-26C-000001", "B8:27:EB:61:07:01", "bGv8Noa@PgzSIxEY"),
        unit("TDBM4-26C-000002", "B8:27:EB:61:07:02", "gX&WE9p1183ja0FT"),
        unit("TDBM4-26C-000003", "B8:27:EB:61:07:03", "3z1b0Mlt0%RakBvS"),
        unit("TDBM4-26C-000004", "B8:27:EB:61:07:04", "vd1f@c0TWSkYXMF4"),
        unit("TDBM4-26C-000005", "B8:27:EB:61:07:05", "XCt3Lbb0D1#8nSvM"),
    ],
};

static GARBAGE: ProductSpec = ProductSpec {
    product: SimProduct::Garbage,
    name: "garbage",
    summary: "hostile device: every port and the website send up to 64 KiB of random bytes, then close",
    behaviours: &[
        ("5.1-1", "Declares unique label passwords, but its login interfaces (HTTPS 443, telnet 23) answer any connection with random bytes and close it: every login probe must end INCONCLUSIVE with a protocol error."),
        ("5.1-2", "Declares random label passwords; nothing can be checked functionally because nothing it sends is a protocol."),
        ("5.2-1", "The website answers with random bytes instead of TLS: fetching the disclosure policy or security.txt fails, INCONCLUSIVE."),
        ("5.3-13", "The support page cannot be fetched for the same reason: INCONCLUSIVE, never PASS or FAIL."),
    ],
    manufacturer: "Static Noise Electronics Ltd",
    manufacturer_address: "2 Foundry Lane, Sheffield S3 8RS, United Kingdom",
    model: "SN-T2",
    model_slug: "sn-t2",
    product_type: "Smart thermostat",
    firmware: "0.9.7",
    hostname: "sn-t2",
    website_host: "www.staticnoise.example",
    support_end: "2029-09-30",
    admin_username: "admin",
    admin: AdminTransport::Https,
    telnet: TelnetConsole::None,
    reset_password: ResetPassword::Label,
    website: WebsiteFlavour::Complete,
    hostile: Some(Hostile::Garbage),
    units: &[
        unit("SNT2-26D-000001", "C4:5B:BE:22:0D:01", "2Wt@nWE^S@OLvJmv"),
        unit("SNT2-26D-000002", "C4:5B:BE:22:0D:02", "E7@JJl@2rM4a7RK2"),
        unit("SNT2-26D-000003", "C4:5B:BE:22:0D:03", "AfGd3a@nuaRfQtjY"),
        unit("SNT2-26D-000004", "C4:5B:BE:22:0D:04", "TbUIp9dIfAm$0Igj"),
        unit("SNT2-26D-000005", "C4:5B:BE:22:0D:05", "A8Hv6gUgMbBm^B^v"),
    ],
};

static FLAPPING: ProductSpec = ProductSpec {
    product: SimProduct::Flapping,
    name: "flapping",
    summary: "hostile device: every port and the website accept connections and reset them",
    behaviours: &[
        ("5.1-1", "Declares unique label passwords, but its login interfaces (HTTPS 443, telnet 23) accept each connection and reset it (RST) within 20 ms: every login probe must end INCONCLUSIVE with a connection error."),
        ("5.1-2", "Declares random label passwords; nothing can be checked functionally because every connection is reset."),
        ("5.2-1", "The website resets every connection: fetching the disclosure policy or security.txt fails, INCONCLUSIVE."),
        ("5.3-13", "The support page cannot be fetched for the same reason: INCONCLUSIVE, never PASS or FAIL."),
    ],
    manufacturer: "Flicker Networks Ltd",
    manufacturer_address: "31 Tannery Row, Norwich NR3 1AB, United Kingdom",
    model: "FN-X1",
    model_slug: "fn-x1",
    product_type: "Mesh Wi-Fi extender",
    firmware: "3.3.1",
    hostname: "fn-x1",
    website_host: "www.flicker-networks.example",
    support_end: "2031-01-31",
    admin_username: "admin",
    admin: AdminTransport::Https,
    telnet: TelnetConsole::None,
    reset_password: ResetPassword::Label,
    website: WebsiteFlavour::Complete,
    hostile: Some(Hostile::Flapping),
    units: &[
        unit("FNX1-26E-000001", "DC:A6:32:19:4E:01", "F*Sq#yY7swvGkqfB"),
        unit("FNX1-26E-000002", "DC:A6:32:19:4E:02", "8k8^lg$polGgno%W"),
        unit("FNX1-26E-000003", "DC:A6:32:19:4E:03", "7RHKr5woAd6Oky*B"),
        unit("FNX1-26E-000004", "DC:A6:32:19:4E:04", "JWXw0N$H5^AnZU!g"),
        unit("FNX1-26E-000005", "DC:A6:32:19:4E:05", "^7aabmcqg@@Wo#u2"),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_router_passwords_are_mac_suffixes() {
        for u in SERIAL_ROUTER.units {
            let hex: String = u.mac.split(':').skip(2).collect::<String>().to_lowercase();
            assert_eq!(u.label_password, hex);
        }
    }

    #[test]
    fn every_product_documents_the_psti_provisions() {
        for p in SimProduct::all() {
            let s = spec(*p);
            assert_eq!(s.product, *p);
            assert_eq!(s.units.len(), 5, "{}", s.name);
            for id in ["5.1-1", "5.1-2", "5.2-1", "5.3-13"] {
                assert!(
                    s.behaviours.iter().any(|(p, _)| *p == id),
                    "{} {id}",
                    s.name
                );
            }
            assert!(crate::profile::parse_date(s.support_end).is_some());
        }
    }
}
