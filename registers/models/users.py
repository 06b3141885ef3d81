from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models, transaction
from django.db.models import Value
from django.db.models.functions import Coalesce, Lower, NullIf


class EmailUserManager(UserManager):
    """Users sign in with their e-mail address; there is no separate username."""

    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("an e-mail address is required")
        # createsuperuser and code that calls create_user: the account and its sign-in address
        # in one transaction, as every path that makes an account (decision 96).
        from registers.services.accounts import sign_in_address_add

        with transaction.atomic(using=self._db):
            user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
            user.set_password(password)
            user.save(using=self._db)
            sign_in_address_add(user=user, new_account=True)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields["is_staff"] = True
        extra_fields["is_superuser"] = True
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    username = None
    first_name = None
    last_name = None
    email = models.EmailField("e-mail address", unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    job_title = models.CharField(
        max_length=150, blank=True, help_text="The post, as registers name owners: 'CFO'."
    )
    # What the register's owner column sorts by (the name it shows first, whatever the case),
    # kept by the database: worked out in the sort it was lowered once per risk, 10,000 times
    # for a 10,000-risk register, where a person has it once (issue 20, decision 75).
    sort_name = models.GeneratedField(
        expression=Coalesce(
            NullIf(Lower("full_name"), Value("")),
            NullIf(Lower("job_title"), Value("")),
            Lower("email"),
        ),
        output_field=models.TextField(),  # lowering may lengthen a name
        db_persist=True,
    )

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = EmailUserManager()

    class Meta:
        ordering = ["full_name", "email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.full_name and self.job_title and self.job_title not in self.full_name:
            return f"{self.full_name}, {self.job_title}"
        return self.full_name or self.job_title or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email
