"""The bookshelf's one model."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class Book(models.Model):
    """A book on the shelf."""

    title = models.CharField(max_length=200)
    author = models.CharField(max_length=200)
    year = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(2100)],
    )
    isbn = models.CharField(max_length=17, blank=True, default="")
    added = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("title", "id")

    def __str__(self) -> str:
        return f"{self.title} ({self.author})"
