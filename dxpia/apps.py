from django.contrib.staticfiles.apps import StaticFilesConfig


class DxpiaStaticFilesConfig(StaticFilesConfig):
    """``collectstatic`` leaves out the Bootstrap files that no page links (the package ships 44,
    8.4 MB with their source maps; pages use bootstrap.min.css and bootstrap.bundle.min.js). With
    WhiteNoise compressing every collected file twice (gzip and Brotli), that takes collectstatic
    from about 29 s of CPU to about 8 on this machine. Patterns match file names (see Django's "Customizing the
    ignored pattern list")."""

    ignore_patterns = [
        *StaticFilesConfig.ignore_patterns,
        "bootstrap-grid*",
        "bootstrap-reboot*",
        "bootstrap-utilities*",
        "bootstrap.rtl*",
        "bootstrap.css",
        "bootstrap.css.map",
        "bootstrap.esm*",
        "bootstrap.js",
        "bootstrap.js.map",
        "bootstrap.min.js",
        "bootstrap.min.js.map",
        "bootstrap.bundle.js",
        "bootstrap.bundle.js.map",
    ]
