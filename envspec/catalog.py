"""The catalog of service kinds that a spec can name with ``kind = "..."``.

Each kind knows its image, the port it listens on, where it keeps its data,
how to tell that it is healthy, which settings it needs (a user, a password,
a database) and the connection URL the app gets. Passwords are never part of
the catalog's output: they are referred to as compose variables
(``${DB_PASSWORD}``) whose values live in the project's git-ignored secrets
file.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Kind:
    """One kind of service that envspec knows how to run and wire up."""

    name: str
    image: str  # repository on Docker Hub; the tag comes from ``version``
    default_version: str
    port: int
    data: str | None  # the path of the data volume inside the container
    healthcheck: tuple[str, ...]  # CMD-SHELL words; {user} etc. are filled in
    # Environment of the service; values may use {user}, {db}, {password}.
    env: dict[str, str] = field(default_factory=dict)
    # Variable set in the app, and its value; {host} is the service's name.
    url_var: str | None = None
    url: str | None = None
    needs_password: bool = False
    extra_ports: tuple[int, ...] = ()
    command: tuple[str, ...] = ()
    description: str = ""


KINDS: dict[str, Kind] = {
    k.name: k
    for k in [
        Kind(
            "postgres",
            "postgres",
            "17",
            5432,
            "/var/lib/postgresql/data",
            ("pg_isready", "-U", "{user}", "-d", "{db}", "-h", "127.0.0.1"),
            env={
                "POSTGRES_USER": "{user}",
                "POSTGRES_DB": "{db}",
                "POSTGRES_PASSWORD": "{password}",
            },
            url_var="DATABASE_URL",
            url="postgres://{user}:{password}@{host}:5432/{db}",
            needs_password=True,
            description="PostgreSQL",
        ),
        Kind(
            "redis",
            "redis",
            "8",
            6379,
            "/data",
            ("redis-cli", "-h", "127.0.0.1", "ping"),
            url_var="REDIS_URL",
            url="redis://{host}:6379/0",
            description="Redis",
        ),
        Kind(
            "mysql",
            "mysql",
            "8.4",
            3306,
            "/var/lib/mysql",
            ("mysqladmin", "ping", "-h", "127.0.0.1", "--silent"),
            env={
                "MYSQL_USER": "{user}",
                "MYSQL_DATABASE": "{db}",
                "MYSQL_PASSWORD": "{password}",
                "MYSQL_RANDOM_ROOT_PASSWORD": "yes",
            },
            url_var="DATABASE_URL",
            url="mysql://{user}:{password}@{host}:3306/{db}",
            needs_password=True,
            description="MySQL",
        ),
        Kind(
            "mariadb",
            "mariadb",
            "11",
            3306,
            "/var/lib/mysql",
            ("healthcheck.sh", "--connect", "--innodb_initialized"),
            env={
                "MARIADB_USER": "{user}",
                "MARIADB_DATABASE": "{db}",
                "MARIADB_PASSWORD": "{password}",
                "MARIADB_RANDOM_ROOT_PASSWORD": "yes",
            },
            url_var="DATABASE_URL",
            url="mysql://{user}:{password}@{host}:3306/{db}",
            needs_password=True,
            description="MariaDB",
        ),
        Kind(
            "mongodb",
            "mongo",
            "8",
            27017,
            "/data/db",
            ("mongosh", "--quiet", "--eval", "db.adminCommand('ping').ok"),
            env={
                "MONGO_INITDB_ROOT_USERNAME": "{user}",
                "MONGO_INITDB_ROOT_PASSWORD": "{password}",
                "MONGO_INITDB_DATABASE": "{db}",
            },
            url_var="MONGODB_URL",
            url="mongodb://{user}:{password}@{host}:27017/{db}?authSource=admin",
            needs_password=True,
            description="MongoDB",
        ),
        Kind(
            "rabbitmq",
            "rabbitmq",
            "4-management",
            5672,
            "/var/lib/rabbitmq",
            ("rabbitmq-diagnostics", "-q", "ping"),
            env={
                "RABBITMQ_DEFAULT_USER": "{user}",
                "RABBITMQ_DEFAULT_PASS": "{password}",
            },
            url_var="AMQP_URL",
            url="amqp://{user}:{password}@{host}:5672/",
            needs_password=True,
            extra_ports=(15672,),
            description="RabbitMQ",
        ),
        Kind(
            "mailpit",
            "axllent/mailpit",
            "v1.21",
            1025,
            None,
            ("wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8025/livez"),
            url_var="EMAIL_URL",
            url="smtp://{host}:1025",
            extra_ports=(8025,),
            description="Mailpit mail catcher",
        ),
    ]
}

# ``kind = "image"`` runs any image named by ``image = "..."``; the spec must
# then give its health check.
CUSTOM_KIND = "image"


def kind_names() -> list[str]:
    return sorted([*KINDS, CUSTOM_KIND])
