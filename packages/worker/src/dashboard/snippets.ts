// The code examples of the dashboard's "Code examples" page, filled in with the site's public
// key and this Worker's origin; the private key stays a placeholder (it is never stored).
// The PHP one is examples/php/update-order.php but for the lines that read the environment:
// test/dashboard-code.test.ts checks that they agree line for line.

/** The script tag of README "The tracker in a shop". */
export const scriptTag = (origin: string, publicKey: string) =>
  `<script>window.shopbeacon = window.shopbeacon || function () { (shopbeacon.q = shopbeacon.q || []).push(arguments) }</script>
<script async src="${origin}/sdk.js" data-key="${publicKey}"></script>`;

/** The npm import of a single-page storefront. */
export const npmImport = (origin: string, publicKey: string) =>
  `import { createTracker } from 'shopbeacon';

const tracker = createTracker({ key: '${publicKey}', endpoint: '${origin}' });`;

/** The PHP updateOrder client. String.raw: its "\n" must stay a PHP escape, not become a newline. */
export const phpUpdateOrder = (url: string, publicKey: string) => String.raw`<?php
    // shopbeacon: the updateOrder client for this site, for PHP with the curl extension. Call it
    // from your server when an order is created or changes state: the first call with an order
    // id creates the order, later ones update it.
    // Put your private key in place of YOUR_PRIVATE_KEY, on your server only: never in a page.
    $shopbeacon_url = "${url}";
    $order_id = "0000001"; // your id of the order
    $order_state = "10"; // its state: 0 cancelled, 10 taken, 20 paid, 50 sent, 100 received

    // ================================================================================
    // THE DATA
    // ================================================================================
    $post_data = array();
    // ------------------------------- Profile fields ---------------------------------
    $post_data["data"]["customer_email"] = "john@doe.com";
    $post_data["data"]["external_id"] = "12345xxx6789"; // your own id of the customer
    if (isset($_COOKIE['sbt'])) // the tracker's visitor cookie, when the browser sent it: the order joins that visitor's profile
    {
       $post_data["data"]["customer_cookie"] = $_COOKIE['sbt'];
    }
    $post_data["data"]["customer_name"] = "Doe";
    $post_data["data"]["customer_firstname"] = "John";
    $post_data["data"]["customer_isoptin"] = "1"; // email opt-in: 1 opted in, 0 not opted in, -1 unknown
    $post_data["data"]["customer_gender"] = "male"; // "male" or "female"
    $post_data["data"]["customer_address"] = "8, rue de la place";
    $post_data["data"]["customer_address2"] = "bâtiment A";
    $post_data["data"]["customer_address3"] = "appartement 23";
    $post_data["data"]["customer_cp"] = "76000";
    $post_data["data"]["customer_city"] = "Rouen";
    $post_data["data"]["customer_country"] = "FR";
    $post_data["data"]["customer_tel"] = "0235000000";
    $post_data["data"]["customer_mobile"] = "060606606";
    $post_data["data"]["customer_fonction"] = "developer";
    $post_data["data"]["customer_company"] = "Acme";
    $post_data["data"]["customer_birthday"] = "1970-12-31"; // Y-m-d
    $post_data["data"]["customer_lang"] = "fr_FR";
    $post_data["data"]["add_tag"] = array("tag1", "tag2"); // tags to add to the profile
    $post_data["data"]["del_tag"] = array("tag3", "tag4"); // tags to remove from it
    $post_data["data"]["action"] = "order";
    // Custom fields, by id: the dashboard's "Code examples" page lists your site's ids.
    $post_data["data"]["custom_fields"][327] = "value";
    // -------------------------------- Order fields ----------------------------------
    $post_data["data"]["order_idorder"] = $order_id;
    $post_data["data"]["order_state"] = $order_state; // 0 cancelled, 10 taken, 20 paid, 50 sent, 100 received
    $post_data["data"]["order_amount"] = 158.31;
    $post_data["data"]["order_crea_dt"] = "2014-06-21 14:31:08"; // Y-m-d H:i:s (UTC)
    $post_data["data"]["order_start_service"] = "2019-06-05"; // Y-m-d
    $post_data["data"]["order_end_service"] = "2019-06-14"; // Y-m-d
    // The order's product attributes: one list of "key:value" per product
    $post_data["data"]["product_attributes"] = array(
        array("size:xl", "type:shirt"), // product 1
        array("size:s", "color:blue"), // product 2
    );
    //$post_data["data"]["product_attributes"] = ""; // an empty value removes them all (http_build_query leaves out an empty array())
    // The order's tags
    $post_data["data"]["add_order_tag"] = array("order_tag1", "order_tag2"); // tags to add to the order
    $post_data["data"]["del_order_tag"] = array("order_tag3", "order_tag4"); // tags to remove from it
    // Your unique id of the order, which updateOrder creates or updates
    $post_data["request"]["order_idorder"] = $order_id;

    // ================================================================================
    // THE CALL
    // ================================================================================
    $curl_post_data = http_build_query($post_data);
    $curl = curl_init();
    curl_setopt($curl, CURLOPT_URL, rtrim($shopbeacon_url, "/") . "/api/updateOrder");
    curl_setopt($curl, CURLOPT_POST, true);
    curl_setopt($curl, CURLOPT_POSTREDIR, CURL_REDIR_POST_ALL);
    curl_setopt($curl, CURLOPT_FOLLOWLOCATION, true);
    curl_setopt($curl, CURLOPT_HTTPAUTH, CURLAUTH_ANY); // the keys go after the Worker's 401 challenge (HTTP Basic)
    curl_setopt($curl, CURLOPT_USERPWD, "${publicKey}" . ":" . "YOUR_PRIVATE_KEY"); // your site's public and private keys
    curl_setopt($curl, CURLOPT_POSTFIELDS, $curl_post_data);
    curl_setopt($curl, CURLOPT_RETURNTRANSFER, true);
    $curl_return = curl_exec($curl);

    // ================================================================================
    // THE ANSWER, printed for the shop's developer
    // ================================================================================
    $curl_error = curl_error($curl);
    $http_status = curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
    curl_close($curl);
    if ($curl_return === false) {
        fwrite(STDERR, "updateOrder: no answer from " . $shopbeacon_url . ": " . $curl_error . "\n");
        exit(1);
    }
    echo "HTTP " . $http_status . "\n" . $curl_return . "\n";
    exit($http_status >= 200 && $http_status < 300 ? 0 : 1);
 ?>
`;
