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

/// A flaw in the device's behaviour beyond the PSTI requirements; each
/// breaks the EN 303 645 provisions named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flaw {
    /// 5.1-5: wrong passwords are never locked out or slowed down.
    NoLockout,
    /// 5.1-4: the password change answers success and changes nothing.
    PasswordChangeIgnored,
    /// 5.3-2, 5.3-10: update images are installed without checking the signature.
    UnsignedUpdates,
    /// 5.5-4, 5.5-5: settings can be changed without authentication.
    OpenSettings,
    /// 5.6-2: the open device-information endpoint and the `Server` header
    /// give away software versions and a debug token.
    VersionBanner,
    /// 5.13-1: settings are stored unchecked, and an over-long value crashes
    /// the admin service until a power cycle.
    NoInputValidation,
    /// 5.9-1, 5.9-2: the local API stops working when the internet is cut.
    CloudTethered,
    /// 5.11-1, 5.11-4: erasing user data confirms but keeps the recordings.
    ShallowErase,
    /// 5.8-3, 6-1: the sensor page leaves out the microphone and the privacy
    /// notice says neither why nor by whom data is processed.
    UndocumentedSensors,
    /// 5.3-6, 6-3: the automatic update switches and consent withdrawal
    /// answer as if done and change nothing.
    IgnoredChoices,
    /// 5.11-3, 5.12-2, 5.12-3, 6-5: the deletion instructions, set-up guide,
    /// checking guide and telemetry page each leave out what the declaration
    /// lists last.
    ThinGuidance,
    /// 5.5-6, 5.5-7, 5.8-1, 5.8-2: the cloud connection is plain HTTP carrying
    /// the device key and personal data.
    PlaintextCloud,
    /// 5.9-3: a failed cloud connection is retried every 5 ms.
    ReconnectFlood,
}

/// The telemetry the simulated cameras collect: (data, purpose, processor).
pub const CAMERA_TELEMETRY: &[(&str, &str, &str)] = &[
    (
        "crash reports",
        "finding and fixing faults in the firmware",
        "the manufacturer",
    ),
    (
        "feature usage counts",
        "deciding which features to improve",
        "the manufacturer",
    ),
];

/// The security-relevant set-up steps the cameras' set-up guide names.
pub const CAMERA_SETUP_STEPS: &[&str] = &[
    "replace the label password",
    "keep automatic updates on",
    "leave remote access off",
];

/// The set-up checks the cameras' checking guide names: (name, where the
/// device shows it: API path and JSON member, secure value).
pub const CAMERA_SETUP_CHECKS: &[(&str, &str, &str, &str)] = &[
    (
        "automatic updates",
        "/api/updates",
        "automatic_updates",
        "true",
    ),
    ("remote access", "/api/settings", "remote_access", "false"),
];

/// What the deletion instructions tell the user to do: (action, what it deletes).
pub const CAMERA_DELETION_ACTIONS: &[(&str, &str)] = &[
    (
        "Erase all data",
        "deletes every recording, the settings and your password from the camera",
    ),
    (
        "Delete account",
        "removes your account, recordings and personal data from our cloud service",
    ),
];

/// The sensors of the simulated cameras.
pub const CAMERA_SENSORS: &[(&str, &str)] = &[
    (
        "camera",
        "1080p colour image sensor with infrared night vision",
    ),
    (
        "microphone",
        "Records sound with video and for two-way talk",
    ),
    (
        "motion sensor",
        "Passive infrared sensor that starts recordings",
    ),
];

/// The personal data the simulated cameras process.
pub const CAMERA_PERSONAL_DATA: &[(&str, &str, &str)] = &[
    (
        "video recordings",
        "showing the user what happened at home",
        "the manufacturer's cloud service",
    ),
    (
        "audio recordings",
        "two-way talk and recordings with sound",
        "the manufacturer's cloud service",
    ),
    (
        "account e-mail address",
        "sign-in and security notices",
        "the manufacturer",
    ),
];

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
    /// What it does wrong beyond the PSTI requirements (see [`Flaw`]).
    pub flaws: &'static [Flaw],
    /// (name, description) of each sensing capability, as its user
    /// documentation and profile name them.
    pub sensors: &'static [(&'static str, &'static str)],
    /// (data, purpose, processor) of each kind of personal data.
    pub personal_data: &'static [(&'static str, &'static str, &'static str)],
    pub units: &'static [UnitSpec],
}

impl ProductSpec {
    pub fn has(&self, flaw: Flaw) -> bool {
        self.flaws.contains(&flaw)
    }

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

    /// The host of the cloud service the product connects to.
    pub fn cloud_host(&self) -> String {
        format!("cloud.{}", self.mail_domain())
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
        SimProduct::NoLockoutCamera => &NO_LOCKOUT_CAMERA,
        SimProduct::StickyPasswordCamera => &STICKY_PASSWORD_CAMERA,
        SimProduct::UnsignedUpdateCamera => &UNSIGNED_UPDATE_CAMERA,
        SimProduct::OpenSettingsCamera => &OPEN_SETTINGS_CAMERA,
        SimProduct::ChattyCamera => &CHATTY_CAMERA,
        SimProduct::FragileApiCamera => &FRAGILE_API_CAMERA,
        SimProduct::CloudTetheredCamera => &CLOUD_TETHERED_CAMERA,
        SimProduct::ShallowEraseCamera => &SHALLOW_ERASE_CAMERA,
        SimProduct::OpaqueDoorbell => &OPAQUE_DOORBELL,
        SimProduct::IgnoredChoicesCamera => &IGNORED_CHOICES_CAMERA,
        SimProduct::UndocumentedCamera => &UNDOCUMENTED_CAMERA,
        SimProduct::CleartextCloudCamera => &CLEARTEXT_CLOUD_CAMERA,
        SimProduct::ReconnectStormCamera => &RECONNECT_STORM_CAMERA,
    }
}

const GOOD_DISCLOSURE: &str = "security.txt (RFC 9116) names an e-mail and a web contact and links a disclosure policy, reachable without login, that promises an acknowledgement within 5 working days and status updates at least every 30 days until resolution.";

const CAMERA_5_1_1: &str = "Each unit ships with its own 16-character password from the label; the user can replace it; a factory reset restores the label password, never a shared default.";
const CAMERA_5_1_2: &str =
    "Label passwords are random 16-character strings with no relation to serial, MAC or each other.";
const CAMERA_5_3_13: &str = "The support page states that security updates are guaranteed until 31 December 2031, the end date the profile declares.";

static GOOD_CAMERA: ProductSpec = CAMERA;

/// The good camera, and the base of the flawed cameras (each changes its
/// identity and adds one flaw).
const CAMERA: ProductSpec = ProductSpec {
    product: SimProduct::GoodCamera,
    name: "good-camera",
    summary: "conformant",
    behaviours: &[
        ("5.1-1", CAMERA_5_1_1),
        ("5.1-2", CAMERA_5_1_2),
        ("5.2-1", GOOD_DISCLOSURE),
        ("5.3-13", CAMERA_5_3_13),
        ("5.1-4", "POST /api/password replaces the password at once; the old one stops working."),
        ("5.1-5", "Ten consecutive failures lock logins for five minutes (a power cycle ends the lockout)."),
        ("5.3-2", "POST /api/firmware installs only images whose Ed25519 signature verifies against the manufacturer's key."),
        ("5.5-5", "Every API endpoint but the device-information one needs the administrator password."),
        ("5.6-2", "Without login only the model and set-up state are shown: no versions, no Server header."),
        ("5.9-2", "Status, recordings and settings keep working on the local network while the internet is cut."),
        ("5.11-1", "POST /api/erase deletes recordings and settings and restores the label password, and says so."),
        ("5.13-1", "Every field is checked for type, range, length and characters; bad input gets 422 and the camera keeps working."),
        ("5.8-3", "The sensor page describes the camera, the microphone and the motion sensor."),
        ("5.3-6", "Automatic updates and notifications are on from the factory; POST /api/updates turns them off, on or postpones them, and GET shows the change."),
        ("5.5-6", "The cloud connection opens with a TLS ClientHello; nothing is sent before the handshake."),
        ("5.9-3", "A failed or dropped cloud session is retried after 100 ms, then 200, 400, 800 ms and every 1.6 s."),
        ("5.11-4", "The erase answer says what was deleted, and it was."),
        ("5.12-2", "The set-up guide walks through each security step; the checking guide says where each setting is shown."),
        ("6-3", "POST /api/consent withdraws a consent at once; GET shows it withdrawn, also after a power cut."),
        ("6-5", "The telemetry page names each kind of telemetry, why and by whom it is processed."),
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
    flaws: &[],
    sensors: CAMERA_SENSORS,
    personal_data: CAMERA_PERSONAL_DATA,
    units: &[
        unit("GC200-26W40-000101", "3C:71:BF:0A:11:01", "k7Rq#vX2mP9w!LtZ"),
        unit("GC200-26W40-000102", "3C:71:BF:0A:11:02", "Yh3$Nb8eQz1@Wd6u"),
        unit("GC200-26W40-000103", "3C:71:BF:0A:11:03", "pF5&cJ0sTm4^Rx8k"),
        unit("GC200-26W40-000104", "3C:71:BF:0A:11:04", "Bw9*Lg2vHn7%Qe3y"),
        unit("GC200-26W40-000105", "3C:71:BF:0A:11:05", "dM6!Xt1zKr5#Pa0j"),
    ],
};

static NO_LOCKOUT_CAMERA: ProductSpec = ProductSpec {
    product: SimProduct::NoLockoutCamera,
    name: "no-lockout-camera",
    summary: "5.1-5: wrong passwords are never locked out or slowed down, while the profile declares a lockout after ten failures",
    behaviours: &[
        ("5.1-1", CAMERA_5_1_1),
        ("5.1-2", CAMERA_5_1_2),
        ("5.2-1", GOOD_DISCLOSURE),
        ("5.3-13", CAMERA_5_3_13),
        ("5.1-5", "Any number of wrong passwords may be tried at full speed on the API and the web login; nothing locks out or slows down, whatever the profile declares."),
    ],
    manufacturer: "Pinewood Vision Ltd",
    manufacturer_address: "5 Forge Lane, Sheffield S1 2AB, United Kingdom",
    model: "PV-C2",
    model_slug: "pv-c2",
    product_type: "Indoor security camera",
    hostname: "pv-c2",
    website_host: "www.pinewood-vision.example",
    flaws: &[Flaw::NoLockout],
    units: &[
        unit("PVC2-26A-000001", "58:D5:6E:10:0A:01", "1qdXWPJx%#d8ut8p"),
        unit("PVC2-26A-000002", "58:D5:6E:10:0A:02", "dq$sxRpvED5hJRaO"),
        unit("PVC2-26A-000003", "58:D5:6E:10:0A:03", "v&RTYZPNvS!I4k9G"),
        unit("PVC2-26A-000004", "58:D5:6E:10:0A:04", "vvK9JkmW378D#Cn5"),
        unit("PVC2-26A-000005", "58:D5:6E:10:0A:05", "1^1CFUB*WkNh@Bm2"),
    ],
    ..CAMERA
};

static STICKY_PASSWORD_CAMERA: ProductSpec = ProductSpec {
    product: SimProduct::StickyPasswordCamera,
    name: "sticky-password-camera",
    summary: "5.1-4: the password change answers success and changes nothing",
    behaviours: &[
        ("5.1-1", CAMERA_5_1_1),
        ("5.1-2", CAMERA_5_1_2),
        ("5.2-1", GOOD_DISCLOSURE),
        ("5.3-13", CAMERA_5_3_13),
        ("5.1-4", "POST /api/password answers 204 No Content but keeps the old password: the new one is refused and the old one still works."),
    ],
    manufacturer: "Larkspur Devices Ltd",
    manufacturer_address: "18 Weaver Street, Nottingham NG1 5AA, United Kingdom",
    model: "LD-CAM1",
    model_slug: "ld-cam1",
    product_type: "Indoor security camera",
    hostname: "ld-cam1",
    website_host: "www.larkspur.example",
    flaws: &[Flaw::PasswordChangeIgnored],
    units: &[
        unit("LDC1-26B-000001", "74:DA:38:21:0B:01", "bd2AG2!B2TFu2$a$"),
        unit("LDC1-26B-000002", "74:DA:38:21:0B:02", "Wo!C7VLo@^tddxg%"),
        unit("LDC1-26B-000003", "74:DA:38:21:0B:03", "vy@4Zr9moEH$ZhNX"),
        unit("LDC1-26B-000004", "74:DA:38:21:0B:04", "2xGqc#fQ7ZvqsP3C"),
        unit("LDC1-26B-000005", "74:DA:38:21:0B:05", "CT#nK&EBJMhw5k62"),
    ],
    ..CAMERA
};

static UNSIGNED_UPDATE_CAMERA: ProductSpec = ProductSpec {
    product: SimProduct::UnsignedUpdateCamera,
    name: "unsigned-update-camera",
    summary: "5.3-2, 5.3-10: update images are installed without checking their Ed25519 signature",
    behaviours: &[
        ("5.1-1", CAMERA_5_1_1),
        ("5.1-2", CAMERA_5_1_2),
        ("5.2-1", GOOD_DISCLOSURE),
        ("5.3-13", CAMERA_5_3_13),
        ("5.3-2", "The update endpoint installs any image in the right layout: unsigned, altered and foreign-signed images are installed like the genuine one."),
        ("5.3-10", "No trust relationship is checked: an image signed by any key at all is installed."),
    ],
    manufacturer: "Otterbay Electronics Ltd",
    manufacturer_address: "2 Wharf Road, Plymouth PL4 0AA, United Kingdom",
    model: "OB-360",
    model_slug: "ob-360",
    product_type: "Indoor security camera",
    hostname: "ob-360",
    website_host: "www.otterbay.example",
    flaws: &[Flaw::UnsignedUpdates],
    units: &[
        unit("OB36-26C-000001", "B0:A7:32:33:0C:01", "rOjlqnFCraP#c0Ys"),
        unit("OB36-26C-000002", "B0:A7:32:33:0C:02", "@H*h4%7lft6zNHIA"),
        unit("OB36-26C-000003", "B0:A7:32:33:0C:03", "33N$bEI3p85cRbGI"),
        unit("OB36-26C-000004", "B0:A7:32:33:0C:04", "EV45gO!V#RrwlIM5"),
        unit("OB36-26C-000005", "B0:A7:32:33:0C:05", "Kak*99n@eEC7C6JY"),
    ],
    ..CAMERA
};

static OPEN_SETTINGS_CAMERA: ProductSpec = ProductSpec {
    product: SimProduct::OpenSettingsCamera,
    name: "open-settings-camera",
    summary: "5.5-4, 5.5-5: settings, remote access included, can be read and changed without authentication",
    behaviours: &[
        ("5.1-1", CAMERA_5_1_1),
        ("5.1-2", CAMERA_5_1_2),
        ("5.2-1", GOOD_DISCLOSURE),
        ("5.3-13", CAMERA_5_3_13),
        ("5.5-4", "GET and POST /api/settings answer without authentication, although the profile declares them authenticated."),
        ("5.5-5", "Anyone on the network can turn on remote access or rename the camera: POST /api/settings needs no credentials."),
    ],
    manufacturer: "Quayside Smart Ltd",
    manufacturer_address: "9 Dock Street, Dundee DD1 3DR, United Kingdom",
    model: "QS-EYE",
    model_slug: "qs-eye",
    product_type: "Indoor security camera",
    hostname: "qs-eye",
    website_host: "www.quayside-smart.example",
    flaws: &[Flaw::OpenSettings],
    units: &[
        unit("QSEY-26D-000001", "C8:2B:96:44:0D:01", "Mi*z^nF6ytTBURaH"),
        unit("QSEY-26D-000002", "C8:2B:96:44:0D:02", "yx49wQOmC^b5k5pb"),
        unit("QSEY-26D-000003", "C8:2B:96:44:0D:03", "9!O36jKkv!0$GhTn"),
        unit("QSEY-26D-000004", "C8:2B:96:44:0D:04", "rU#D4J1#pmHdN@Z1"),
        unit("QSEY-26D-000005", "C8:2B:96:44:0D:05", "INU&9z@4mgYake#B"),
    ],
    ..CAMERA
};

static CHATTY_CAMERA: ProductSpec = ProductSpec {
    product: SimProduct::ChattyCamera,
    name: "chatty-camera",
    summary: "5.6-2: the open device-information endpoint and the Server header give away software versions and a debug token",
    behaviours: &[
        ("5.1-1", CAMERA_5_1_1),
        ("5.1-2", CAMERA_5_1_2),
        ("5.2-1", GOOD_DISCLOSURE),
        ("5.3-13", CAMERA_5_3_13),
        ("5.6-2", "Every answer carries Server: lighttpd/1.4.35, and the open GET /api/info adds the firmware build, the BusyBox and OpenSSL versions and a debug token."),
    ],
    manufacturer: "Tinderbox Labs Ltd",
    manufacturer_address: "41 Kiln Road, Stoke-on-Trent ST4 1AA, United Kingdom",
    model: "TB-V3",
    model_slug: "tb-v3",
    product_type: "Indoor security camera",
    hostname: "tb-v3",
    website_host: "www.tinderbox-labs.example",
    flaws: &[Flaw::VersionBanner],
    units: &[
        unit("TBV3-26E-000001", "2C:3A:E8:55:0E:01", "SDv2iFeuS0H*O$kJ"),
        unit("TBV3-26E-000002", "2C:3A:E8:55:0E:02", "9C$1hnsSSIIpeUx&"),
        unit("TBV3-26E-000003", "2C:3A:E8:55:0E:03", "!wf0gZpc5^RIpGuK"),
        unit("TBV3-26E-000004", "2C:3A:E8:55:0E:04", "0Q!Ye6U$amnabfIo"),
        unit("TBV3-26E-000005", "2C:3A:E8:55:0E:05", "GCo16wEn4XR2a^yV"),
    ],
    ..CAMERA
};

static FRAGILE_API_CAMERA: ProductSpec = ProductSpec {
    product: SimProduct::FragileApiCamera,
    name: "fragile-api-camera",
    summary: "5.13-1: settings are stored unchecked, and an over-long value crashes the admin service until a power cycle",
    behaviours: &[
        ("5.1-1", CAMERA_5_1_1),
        ("5.1-2", CAMERA_5_1_2),
        ("5.2-1", GOOD_DISCLOSURE),
        ("5.3-13", CAMERA_5_3_13),
        ("5.13-1", "POST /api/settings stores whatever it is given (night vision level 'abc', names with shell metacharacters), and a value longer than 256 bytes crashes the admin service: it answers 503 until the camera is power cycled."),
    ],
    manufacturer: "Willowmere Tech Ltd",
    manufacturer_address: "6 Abbey Close, Bath BA1 1AA, United Kingdom",
    model: "WM-C100",
    model_slug: "wm-c100",
    product_type: "Indoor security camera",
    hostname: "wm-c100",
    website_host: "www.willowmere.example",
    flaws: &[Flaw::NoInputValidation],
    units: &[
        unit("WMC1-26F-000001", "E0:98:06:66:0F:01", "cLCrR9&Q@CrfLmnc"),
        unit("WMC1-26F-000002", "E0:98:06:66:0F:02", "sIGv44Lgs#grN8Go"),
        unit("WMC1-26F-000003", "E0:98:06:66:0F:03", "VxR7cI6M&38cVn8h"),
        unit("WMC1-26F-000004", "E0:98:06:66:0F:04", "ocu%iTQfnguix8Pl"),
        unit("WMC1-26F-000005", "E0:98:06:66:0F:05", "CRAOT05nKfeOLv@H"),
    ],
    ..CAMERA
};

static CLOUD_TETHERED_CAMERA: ProductSpec = ProductSpec {
    product: SimProduct::CloudTetheredCamera,
    name: "cloud-tethered-camera",
    summary: "5.9-1, 5.9-2: the local API stops working when the internet connection is cut",
    behaviours: &[
        ("5.1-1", CAMERA_5_1_1),
        ("5.1-2", CAMERA_5_1_2),
        ("5.2-1", GOOD_DISCLOSURE),
        ("5.3-13", CAMERA_5_3_13),
        ("5.9-1", "Without the internet connection the camera cannot be used at all; it recovers when the connection returns."),
        ("5.9-2", "The local API (status, recordings, settings) answers 503 'cloud service unreachable' while the uplink is down, although the profile lists them as local functions."),
    ],
    manufacturer: "Nimbus Home Ltd",
    manufacturer_address: "27 Skyline Way, Milton Keynes MK9 2AA, United Kingdom",
    model: "NH-CAM",
    model_slug: "nh-cam",
    product_type: "Indoor security camera",
    hostname: "nh-cam",
    website_host: "www.nimbus-home.example",
    flaws: &[Flaw::CloudTethered],
    units: &[
        unit("NHCM-26G-000001", "40:4C:CA:77:10:01", "Nh#ZOCBRK6@iIT6Y"),
        unit("NHCM-26G-000002", "40:4C:CA:77:10:02", "2YTIicpD&iYmf%b9"),
        unit("NHCM-26G-000003", "40:4C:CA:77:10:03", "atds^aANN!bWyc0N"),
        unit("NHCM-26G-000004", "40:4C:CA:77:10:04", "38GK%P!^FaFVf06E"),
        unit("NHCM-26G-000005", "40:4C:CA:77:10:05", "s8e9FhstPAj^z$lP"),
    ],
    ..CAMERA
};

static SHALLOW_ERASE_CAMERA: ProductSpec = ProductSpec {
    product: SimProduct::ShallowEraseCamera,
    name: "shallow-erase-camera",
    summary: "5.11-1, 5.11-4: erasing user data confirms the deletion but keeps the recordings",
    behaviours: &[
        ("5.1-1", CAMERA_5_1_1),
        ("5.1-2", CAMERA_5_1_2),
        ("5.2-1", GOOD_DISCLOSURE),
        ("5.3-13", CAMERA_5_3_13),
        ("5.11-1", "POST /api/erase resets the settings and the password but leaves every recording on the camera."),
        ("5.11-4", "The erase answer says every recording was deleted, which is not true."),
    ],
    manufacturer: "Brackenfield Ltd",
    manufacturer_address: "3 Moorland Road, Exeter EX4 4AA, United Kingdom",
    model: "BF-CAM2",
    model_slug: "bf-cam2",
    product_type: "Indoor security camera",
    hostname: "bf-cam2",
    website_host: "www.brackenfield.example",
    flaws: &[Flaw::ShallowErase],
    units: &[
        unit("BFC2-26H-000001", "8C:85:90:88:11:01", "fx0OljgNdjCY&pc@"),
        unit("BFC2-26H-000002", "8C:85:90:88:11:02", "1v%YMJqVIvLQKt4C"),
        unit("BFC2-26H-000003", "8C:85:90:88:11:03", "ST4LBZWm^@6i6@$X"),
        unit("BFC2-26H-000004", "8C:85:90:88:11:04", "*89qyhx$rrhbuaYu"),
        unit("BFC2-26H-000005", "8C:85:90:88:11:05", "V8G^EpAj08d@NPu0"),
    ],
    ..CAMERA
};

static OPAQUE_DOORBELL: ProductSpec = ProductSpec {
    product: SimProduct::OpaqueDoorbell,
    name: "opaque-doorbell",
    summary: "5.8-3, 6-1: the sensor page leaves out the microphone and the privacy notice says neither why nor by whom data is processed",
    behaviours: &[
        ("5.1-1", CAMERA_5_1_1),
        ("5.1-2", CAMERA_5_1_2),
        ("5.2-1", GOOD_DISCLOSURE),
        ("5.3-13", CAMERA_5_3_13),
        ("5.8-3", "The published sensor page describes the camera and the motion sensor but not the microphone the profile declares."),
        ("6-1", "The privacy notice lists the data collected but not the purposes or who processes it."),
    ],
    manufacturer: "Foxglove Security Ltd",
    manufacturer_address: "11 Hedgerow Lane, Norwich NR2 1AA, United Kingdom",
    model: "FG-D1",
    model_slug: "fg-d1",
    product_type: "Video doorbell",
    hostname: "fg-d1",
    website_host: "www.foxglove.example",
    flaws: &[Flaw::UndocumentedSensors],
    units: &[
        unit("FGD1-26J-000001", "F0:9F:C2:99:12:01", "RVBQaeIKJ8NF&RXl"),
        unit("FGD1-26J-000002", "F0:9F:C2:99:12:02", "CQH5T#8!gX*dn%SU"),
        unit("FGD1-26J-000003", "F0:9F:C2:99:12:03", "tG4&Pp@uLQrtsx@a"),
        unit("FGD1-26J-000004", "F0:9F:C2:99:12:04", "oI2eGjGHP4l$kY6F"),
        unit("FGD1-26J-000005", "F0:9F:C2:99:12:05", "Y@QYVdfnSjj3u!ym"),
    ],
    ..CAMERA
};

static IGNORED_CHOICES_CAMERA: ProductSpec = ProductSpec {
    product: SimProduct::IgnoredChoicesCamera,
    name: "ignored-choices-camera",
    summary: "5.3-6, 6-3: turning automatic updates off and withdrawing consent are confirmed and change nothing",
    behaviours: &[
        ("5.1-1", CAMERA_5_1_1),
        ("5.1-2", CAMERA_5_1_2),
        ("5.2-1", GOOD_DISCLOSURE),
        ("5.3-13", CAMERA_5_3_13),
        ("5.3-6", "POST /api/updates answers with the switches as asked, but automatic updates stay on and a postponement is forgotten."),
        ("6-3", "POST /api/consent confirms a withdrawn consent, but the camera keeps the consent and goes on processing."),
    ],
    manufacturer: "Heronsgate Devices Ltd",
    manufacturer_address: "14 Mill Lane, Norwich NR2 4AA, United Kingdom",
    model: "HG-CAM4",
    model_slug: "hg-cam4",
    product_type: "Indoor security camera",
    hostname: "hg-cam4",
    website_host: "www.heronsgate.example",
    flaws: &[Flaw::IgnoredChoices],
    units: &[
        unit("HGC4-26J-000001", "60:01:94:99:12:01", "1qdXWPJx$@d8ut8p"),
        unit("HGC4-26J-000002", "60:01:94:99:12:02", "dq#sxRpvED5hJRaO"),
        unit("HGC4-26J-000003", "60:01:94:99:12:03", "v%RTYZPNvS!I4k9G"),
        unit("HGC4-26J-000004", "60:01:94:99:12:04", "vvK9JkmW378D@Cn5"),
        unit("HGC4-26J-000005", "60:01:94:99:12:05", "1*1CFUB^WkNh&Bm2"),
    ],
    ..CAMERA
};

static UNDOCUMENTED_CAMERA: ProductSpec = ProductSpec {
    product: SimProduct::UndocumentedCamera,
    name: "undocumented-camera",
    summary: "5.11-3, 5.12-2, 5.12-3, 6-5: the published guidance leaves out account deletion, a set-up step, a check and why telemetry is collected",
    behaviours: &[
        ("5.1-1", CAMERA_5_1_1),
        ("5.1-2", CAMERA_5_1_2),
        ("5.2-1", GOOD_DISCLOSURE),
        ("5.3-13", CAMERA_5_3_13),
        ("5.11-3", "The deletion instructions explain the erase on the camera but not how to delete the account and its cloud data."),
        ("5.12-2", "The set-up guide never tells the user to keep remote access off."),
        ("5.12-3", "The checking guide does not say how to check remote access."),
        ("6-5", "The telemetry page lists what is collected but not why or by whom."),
    ],
    manufacturer: "Saltmarsh Electronics Ltd",
    manufacturer_address: "8 Quay Street, Whitby YO21 1AA, United Kingdom",
    model: "SM-EYE2",
    model_slug: "sm-eye2",
    product_type: "Indoor security camera",
    hostname: "sm-eye2",
    website_host: "www.saltmarsh.example",
    flaws: &[Flaw::ThinGuidance],
    units: &[
        unit("SME2-26K-000001", "A8:03:2A:AA:13:01", "bd2AG2!B2TFu2#a#"),
        unit("SME2-26K-000002", "A8:03:2A:AA:13:02", "Wo!C7VLo&*tddxg$"),
        unit("SME2-26K-000003", "A8:03:2A:AA:13:03", "vy&4Zr9moEH#ZhNX"),
        unit("SME2-26K-000004", "A8:03:2A:AA:13:04", "2xGqc@fQ7ZvqsP3C"),
        unit("SME2-26K-000005", "A8:03:2A:AA:13:05", "CT@nK%EBJMhw5k62"),
    ],
    ..CAMERA
};

static CLEARTEXT_CLOUD_CAMERA: ProductSpec = ProductSpec {
    product: SimProduct::CleartextCloudCamera,
    name: "cleartext-cloud-camera",
    summary: "5.5-6, 5.5-7, 5.8-1, 5.8-2: the camera registers with its cloud in plain HTTP, sending its key, the account e-mail and recording titles readable",
    behaviours: &[
        ("5.1-1", CAMERA_5_1_1),
        ("5.1-2", CAMERA_5_1_2),
        ("5.2-1", GOOD_DISCLOSURE),
        ("5.3-13", CAMERA_5_3_13),
        ("5.5-6", "The cloud connection opens with a plain HTTP POST carrying the device key: no TLS at all."),
        ("5.5-7", "The device key crosses the internet readable by anyone on the path."),
        ("5.8-1", "The account e-mail address travels in the clear."),
        ("5.8-2", "Titles of the user's recordings travel in the clear."),
    ],
    manufacturer: "Fenwick Optics Ltd",
    manufacturer_address: "23 Bridge Street, Lincoln LN1 1AA, United Kingdom",
    model: "FO-C3",
    model_slug: "fo-c3",
    product_type: "Indoor security camera",
    hostname: "fo-c3",
    website_host: "www.fenwick-optics.example",
    flaws: &[Flaw::PlaintextCloud],
    units: &[
        unit("FOC3-26L-000001", "D4:F5:13:BB:14:01", "rOjlqnFCraP@c0Ys"),
        unit("FOC3-26L-000002", "D4:F5:13:BB:14:02", "&H^h4$7lft6zNHIA"),
        unit("FOC3-26L-000003", "D4:F5:13:BB:14:03", "33N#bEI3p85cRbGI"),
        unit("FOC3-26L-000004", "D4:F5:13:BB:14:04", "EV45gO!V@RrwlIM5"),
        unit("FOC3-26L-000005", "D4:F5:13:BB:14:05", "Kak^99n&eEC7C6JY"),
    ],
    ..CAMERA
};

static RECONNECT_STORM_CAMERA: ProductSpec = ProductSpec {
    product: SimProduct::ReconnectStormCamera,
    name: "reconnect-storm-camera",
    summary: "5.9-3: when its cloud connection fails the camera retries every 5 ms without back-off",
    behaviours: &[
        ("5.1-1", CAMERA_5_1_1),
        ("5.1-2", CAMERA_5_1_2),
        ("5.2-1", GOOD_DISCLOSURE),
        ("5.3-13", CAMERA_5_3_13),
        ("5.9-3", "When the cloud refuses or drops its session the camera reconnects every 5 ms, hundreds of times a second, instead of backing off as declared."),
    ],
    manufacturer: "Gullwing Home Ltd",
    manufacturer_address: "30 Cliff Road, Brighton BN2 1AA, United Kingdom",
    model: "GW-CAM",
    model_slug: "gw-cam",
    product_type: "Indoor security camera",
    hostname: "gw-cam",
    website_host: "www.gullwing.example",
    flaws: &[Flaw::ReconnectFlood],
    units: &[
        unit("GWCM-26M-000001", "F0:9F:C2:CC:15:01", "Mi^z*nF6ytTBURaH"),
        unit("GWCM-26M-000002", "F0:9F:C2:CC:15:02", "yx49wQOmC*b5k5pb"),
        unit("GWCM-26M-000003", "F0:9F:C2:CC:15:03", "9!O36jKkv!0#GhTn"),
        unit("GWCM-26M-000004", "F0:9F:C2:CC:15:04", "rU@D4J1@pmHdN&Z1"),
        unit("GWCM-26M-000005", "F0:9F:C2:CC:15:05", "INU%9z&4mgYake@B"),
    ],
    ..CAMERA
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
    flaws: &[],
    sensors: CAMERA_SENSORS,
    personal_data: CAMERA_PERSONAL_DATA,
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
    flaws: &[],
    sensors: CAMERA_SENSORS,
    personal_data: CAMERA_PERSONAL_DATA,
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
    flaws: &[],
    sensors: CAMERA_SENSORS,
    personal_data: CAMERA_PERSONAL_DATA,
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
    flaws: &[],
    sensors: CAMERA_SENSORS,
    personal_data: CAMERA_PERSONAL_DATA,
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
    flaws: &[],
    sensors: CAMERA_SENSORS,
    personal_data: CAMERA_PERSONAL_DATA,
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
    flaws: &[],
    sensors: CAMERA_SENSORS,
    personal_data: CAMERA_PERSONAL_DATA,
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
    flaws: &[],
    sensors: CAMERA_SENSORS,
    personal_data: CAMERA_PERSONAL_DATA,
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
    flaws: &[],
    sensors: CAMERA_SENSORS,
    personal_data: CAMERA_PERSONAL_DATA,
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
    flaws: &[],
    sensors: CAMERA_SENSORS,
    personal_data: CAMERA_PERSONAL_DATA,
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
    flaws: &[],
    sensors: CAMERA_SENSORS,
    personal_data: CAMERA_PERSONAL_DATA,
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
            assert!(iotmark_adapters::profile::parse_date(s.support_end).is_some());
        }
    }
}
