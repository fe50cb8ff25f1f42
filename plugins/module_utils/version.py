# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Version of the scalingo.cloud collection, sent in the User-Agent (kept equal to galaxy.yml by a unit test)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

COLLECTION_VERSION = "0.1.0"
