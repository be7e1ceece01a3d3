from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from arbitration.api import NewestFirstCursor
from arbitration.exceptions import DomainError
from arbitration.permissions import IsDeskMember
from cases.api import errors
from cases.models import Appeal

from .models import Evidence
from .serializers import EvidenceSerializer, EvidenceUploadSerializer
from .services import evidence_add
from .uploads import SizeLimitHandler


class PayloadTooLarge(DomainError):
    status = 413
    code = "too_large"


class NewestUploadFirstCursor(NewestFirstCursor):
    # Evidence has uploaded_at, not created_at.
    ordering = ("-uploaded_at", "-id")


class EvidenceView(generics.GenericAPIView):
    permission_classes = [IsDeskMember]
    serializer_class = EvidenceSerializer
    pagination_class = NewestUploadFirstCursor
    parser_classes = [MultiPartParser]
    filter_backends: list = []

    def initial(self, request: Request, *args, **kwargs) -> None:
        # Before authentication: a session's CSRF check reads the form body, and handlers
        # added after the body was read are never called.
        if request.method == "POST":
            self.size_guard = SizeLimitHandler(request._request)
            request._request.upload_handlers.insert(0, self.size_guard)
        super().initial(request, *args, **kwargs)

    @extend_schema(
        responses={200: EvidenceSerializer(many=True), **errors(401, 403, 404)},
        summary="The evidence of an appeal",
    )
    def get(self, request: Request, pk: int) -> Response:
        appeal = get_object_or_404(Appeal.objects.only("id"), pk=pk)
        queryset = Evidence.objects.filter(appeal=appeal).select_related("uploaded_by")
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request={"multipart/form-data": EvidenceUploadSerializer},
        responses={201: EvidenceSerializer, **errors(400, 401, 403, 404, 409, 413)},
        summary="Upload a piece of evidence",
        description="PNG, JPEG, WebP or PDF (judged by the bytes, not the name), up to 10 MiB.",
    )
    def post(self, request: Request, pk: int) -> Response:
        get_object_or_404(Appeal.objects.only("id"), pk=pk)
        serializer = EvidenceUploadSerializer(data=request.data)
        if self.size_guard.exceeded:
            raise PayloadTooLarge(
                _("The file is larger than %(mib)s MiB.")
                % {"mib": self.size_guard.limit // (1024 * 1024)},
                field="file",
            )
        if not serializer.is_valid():
            raise ValidationError(serializer.errors)
        data = serializer.validated_data
        upload = data["file"]
        evidence = evidence_add(
            appeal_id=pk,
            upload=upload,
            party=data["party"],
            kind=data["kind"],
            actor=request.user,
            original_name=upload.name or "",
            note=data.get("note", ""),
            payer_name=data.get("payer_name", ""),
        )
        return Response(EvidenceSerializer(evidence).data, status=status.HTTP_201_CREATED)
